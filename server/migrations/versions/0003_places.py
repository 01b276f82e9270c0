"""places: stays, residencies and absences, capacity changes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 11:55:39.584654
"""

from __future__ import annotations

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "capacity_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_capacity_changes_created_by_users")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_capacity_changes_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capacity_changes")),
    )
    with op.batch_alter_table("capacity_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_capacity_changes_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "residencies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("move_in", sa.Date(), nullable=False),
        sa.Column("move_out", sa.Date(), nullable=True),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_residencies_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_residencies_unit_id_units")),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"], name=op.f("fk_residencies_updated_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_residencies")),
    )
    with op.batch_alter_table("residencies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_residencies_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_residencies_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "stays",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_stays_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_stays_unit_id_units")),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"], name=op.f("fk_stays_updated_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stays")),
    )
    with op.batch_alter_table("stays", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stays_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stays_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "residency_absences",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("residency_id", sa.Uuid(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_residency_absences_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["residency_id"],
            ["residencies.id"],
            name=op.f("fk_residency_absences_residency_id_residencies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_residency_absences")),
    )
    with op.batch_alter_table("residency_absences", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_residency_absences_residency_id"), ["residency_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("residency_absences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_residency_absences_residency_id"))

    op.drop_table("residency_absences")
    with op.batch_alter_table("stays", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stays_unit_id"))
        batch_op.drop_index(batch_op.f("ix_stays_client_id"))

    op.drop_table("stays")
    with op.batch_alter_table("residencies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_residencies_unit_id"))
        batch_op.drop_index(batch_op.f("ix_residencies_client_id"))

    op.drop_table("residencies")
    with op.batch_alter_table("capacity_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capacity_changes_unit_id"))

    op.drop_table("capacity_changes")
