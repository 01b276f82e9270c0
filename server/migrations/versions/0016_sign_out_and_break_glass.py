"""sign-out bound of a replica (what a device credential may still flush) and break-the-glass grants

Revision ID: 0016_sign_out_and_break_glass
Revises: 0015_job_runner_lease
Create Date: 2026-12-07 16:00:00
"""

from __future__ import annotations

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision = "0016_sign_out_and_break_glass"
down_revision = "0015_job_runner_lease"  # 0015_job_runner_lease.py
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signed_out_seq", sa.BigInteger(), nullable=True))
    op.create_table(
        "break_glass_grants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("granted_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("expires_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_break_glass_grants_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_break_glass_grants_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_break_glass_grants")),
    )
    with op.batch_alter_table("break_glass_grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_break_glass_grants_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_break_glass_grants_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("break_glass_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_break_glass_grants_user_id"))
        batch_op.drop_index(batch_op.f("ix_break_glass_grants_client_id"))
    op.drop_table("break_glass_grants")
    with op.batch_alter_table("sync_clients", schema=None) as batch_op:
        batch_op.drop_column("signed_out_seq")
