"""places: stay series (regular rotating short-term care periods), stays.series_id

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 08:40:09.296265
"""

from __future__ import annotations

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stay_series",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("first_start", sa.Date(), nullable=False),
        sa.Column("period_days", sa.Integer(), nullable=False),
        sa.Column("every_weeks", sa.Integer(), nullable=False),
        sa.Column("periods", sa.Integer(), nullable=False),
        sa.Column("all_or_nothing", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cancelled_from", sa.Date(), nullable=True),
        sa.Column("refused", sa.JSON(), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_stay_series_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_stay_series_created_by_users")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_stay_series_unit_id_units")),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"], name=op.f("fk_stay_series_updated_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stay_series")),
    )
    with op.batch_alter_table("stay_series", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stay_series_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stay_series_unit_id"), ["unit_id"], unique=False)

    with op.batch_alter_table("stays", schema=None) as batch_op:
        batch_op.add_column(sa.Column("series_id", sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f("ix_stays_series_id"), ["series_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_stays_series_id_stay_series"), "stay_series", ["series_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("stays", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_stays_series_id_stay_series"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_stays_series_id"))
        batch_op.drop_column("series_id")

    with op.batch_alter_table("stay_series", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stay_series_unit_id"))
        batch_op.drop_index(batch_op.f("ix_stay_series_client_id"))

    op.drop_table("stay_series")
