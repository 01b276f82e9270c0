"""tasks: one task table for work assigned to a named role; the no-show follow-ups move into it

Revision ID: 0011_tasks
Revises: 0010_notifications
Create Date: 2026-11-30 15:31:03.621671
"""

from __future__ import annotations

import uuid

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision = "0011_tasks"
down_revision = "0010_notifications"  # 0010_notifications.py
branch_labels = None
depends_on = None

UTC_TIME = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)
# The rows are copied through these typed tables (not SQL text) so ids convert the same way on both
# engines (SQLite keeps UUIDs as 32 hex characters, PostgreSQL as uuid).
OLD = sa.table(
    "day_activity_tasks",
    sa.column("id", sa.Uuid()),
    sa.column("unit_id", sa.Uuid()),
    sa.column("client_id", sa.Uuid()),
    sa.column("attendance_id", sa.Uuid()),
    sa.column("date", sa.Date()),
    sa.column("kind", sa.String()),
    sa.column("created_at", UTC_TIME),
    sa.column("status", sa.String()),
    sa.column("outcome", sa.String()),
    sa.column("closed_by", sa.Uuid()),
    sa.column("closed_at", UTC_TIME),
)
NEW = sa.table(
    "tasks",
    sa.column("id", sa.Uuid()),
    sa.column("kind", sa.String()),
    sa.column("role", sa.String()),
    sa.column("scope", sa.String()),
    sa.column("unit_id", sa.Uuid()),
    sa.column("about_type", sa.String()),
    sa.column("about_id", sa.String()),
    sa.column("client_id", sa.Uuid()),
    sa.column("date", sa.Date()),
    sa.column("created_at", UTC_TIME),
    sa.column("status", sa.String()),
    sa.column("outcome", sa.String()),
    sa.column("closed_by", sa.Uuid()),
    sa.column("closed_at", UTC_TIME),
)
SHARED = (
    "id",
    "unit_id",
    "client_id",
    "date",
    "kind",
    "created_at",
    "status",
    "outcome",
    "closed_by",
    "closed_at",
)


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=True),
        sa.Column("area_id", sa.Uuid(), nullable=True),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        sa.Column("about_type", sa.String(length=40), nullable=False),
        sa.Column("about_id", sa.String(length=80), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=True),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=500), nullable=True),
        sa.Column("closed_by", sa.Uuid(), nullable=True),
        sa.Column("closed_at", UTC_TIME, nullable=True),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_tasks_area_id_areas")),
        sa.ForeignKeyConstraint(["assignee_id"], ["users.id"], name=op.f("fk_tasks_assignee_id_users")),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_tasks_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["closed_by"], ["users.id"], name=op.f("fk_tasks_closed_by_users")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_tasks_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tasks_assignee_id"), ["assignee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tasks_client_id"), ["client_id"], unique=False)
        batch_op.create_index("ix_tasks_scope_status", ["scope", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_tasks_unit_id"), ["unit_id"], unique=False)

    # The no-show follow-ups keep their ids (devices hold them); they are the unit staff's tasks.
    bind = op.get_bind()
    rows = bind.execute(sa.select(OLD)).mappings().all()
    if rows:
        bind.execute(
            NEW.insert(),
            [
                {
                    **{name: row[name] for name in SHARED},
                    "role": "unit_staff",
                    "scope": f"unit:{row['unit_id']}",
                    "about_type": "attendance",
                    "about_id": str(row["attendance_id"]),
                }
                for row in rows
            ],
        )

    with op.batch_alter_table("day_activity_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_day_activity_tasks_client_id"))
        batch_op.drop_index(batch_op.f("ix_day_activity_tasks_unit_id"))
    op.drop_table("day_activity_tasks")


def downgrade() -> None:
    op.create_table(
        "day_activity_tasks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("attendance_id", sa.Uuid(), nullable=True),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=500), nullable=True),
        sa.Column("closed_by", sa.Uuid(), nullable=True),
        sa.Column("closed_at", UTC_TIME, nullable=True),
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

    # Only the no-show follow-ups existed before; the other kinds are lost on a downgrade.
    bind = op.get_bind()
    rows = (
        bind.execute(sa.select(NEW).where(NEW.c.about_type == "attendance", NEW.c.kind == "call_family"))
        .mappings()
        .all()
    )
    if rows:
        bind.execute(
            OLD.insert(),
            [
                {**{name: row[name] for name in SHARED}, "attendance_id": uuid.UUID(row["about_id"])}
                for row in rows
            ],
        )

    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tasks_unit_id"))
        batch_op.drop_index("ix_tasks_scope_status")
        batch_op.drop_index(batch_op.f("ix_tasks_client_id"))
        batch_op.drop_index(batch_op.f("ix_tasks_assignee_id"))
    op.drop_table("tasks")
