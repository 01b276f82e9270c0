"""day activity: schedules, follow-up tasks, head counts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 12:20:11.589540
"""

from __future__ import annotations

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "day_activity_headcounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_day_activity_headcounts_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_day_activity_headcounts_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_day_activity_headcounts")),
    )
    with op.batch_alter_table("day_activity_headcounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_day_activity_headcounts_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "day_activity_schedules",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_day_activity_schedules_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_day_activity_schedules_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_day_activity_schedules_updated_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_day_activity_schedules")),
    )
    with op.batch_alter_table("day_activity_schedules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_day_activity_schedules_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_day_activity_schedules_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "day_activity_tasks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("attendance_id", sa.Uuid(), nullable=True),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=500), nullable=True),
        sa.Column("closed_by", sa.Uuid(), nullable=True),
        sa.Column("closed_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_day_activity_tasks_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["closed_by"], ["users.id"], name=op.f("fk_day_activity_tasks_closed_by_users")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_day_activity_tasks_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_day_activity_tasks")),
    )
    with op.batch_alter_table("day_activity_tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_day_activity_tasks_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_day_activity_tasks_unit_id"), ["unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("day_activity_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_day_activity_tasks_unit_id"))
        batch_op.drop_index(batch_op.f("ix_day_activity_tasks_client_id"))

    op.drop_table("day_activity_tasks")
    with op.batch_alter_table("day_activity_schedules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_day_activity_schedules_unit_id"))
        batch_op.drop_index(batch_op.f("ix_day_activity_schedules_client_id"))

    op.drop_table("day_activity_schedules")
    with op.batch_alter_table("day_activity_headcounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_day_activity_headcounts_unit_id"))

    op.drop_table("day_activity_headcounts")
