"""guidance: contacts.month and follow_up, contact_topics, events and event_participants

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 09:06:29.133064
"""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

STATISTICS_INDEX = [
    "month",
    "area_id",
    "service_point_id",
    "counsellor_id",
    "channel",
    "caller_type",
    "contact_type",
    "resolution",
    "follow_up",
]


def _backfill_contacts() -> None:
    """Existing contacts: the Finnish month of occurred_at, and one contact_topics row per topic."""
    bind = op.get_bind()
    contacts = sa.table(
        "contacts",
        sa.column("id", sa.Uuid()),
        sa.column("occurred_at", advanced_alchemy.types.DateTimeUTC(timezone=True)),
        sa.column("month", sa.String()),
        sa.column("topics", sa.JSON()),
        sa.column("area_id", sa.Uuid()),
        sa.column("service_point_id", sa.Uuid()),
        sa.column("counsellor_id", sa.Uuid()),
    )
    topics = sa.table(
        "contact_topics",
        sa.column("contact_id", sa.Uuid()),
        sa.column("topic", sa.String()),
        sa.column("month", sa.String()),
        sa.column("area_id", sa.Uuid()),
        sa.column("service_point_id", sa.Uuid()),
        sa.column("counsellor_id", sa.Uuid()),
    )
    finland = ZoneInfo("Europe/Helsinki")
    rows = bind.execute(sa.select(contacts)).all()
    for row in rows:
        at = row.occurred_at if row.occurred_at.tzinfo else row.occurred_at.replace(tzinfo=UTC)
        month = at.astimezone(finland).strftime("%Y-%m")
        bind.execute(sa.update(contacts).where(contacts.c.id == row.id).values(month=month))
        for topic in dict.fromkeys(row.topics or []):
            bind.execute(
                sa.insert(topics).values(
                    contact_id=row.id,
                    topic=topic,
                    month=month,
                    area_id=row.area_id,
                    service_point_id=row.service_point_id,
                    counsellor_id=row.counsellor_id,
                )
            )


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("area_id", sa.Uuid(), nullable=False),
        sa.Column("service_point_id", sa.Uuid(), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("organiser_id", sa.Uuid(), nullable=False),
        sa.Column("organiser_name", sa.String(length=200), nullable=True),
        sa.Column("participant_count", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_events_area_id_areas")),
        sa.ForeignKeyConstraint(["organiser_id"], ["users.id"], name=op.f("fk_events_organiser_id_users")),
        sa.ForeignKeyConstraint(
            ["service_point_id"],
            ["service_points.id"],
            name=op.f("fk_events_service_point_id_service_points"),
        ),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"], name=op.f("fk_events_updated_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_organiser_id"), ["organiser_id"], unique=False)
        batch_op.create_index(
            "ix_events_statistics", ["month", "area_id", "service_point_id", "organiser_id"], unique=False
        )

    op.create_table(
        "contact_topics",
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("topic", sa.String(length=40), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("area_id", sa.Uuid(), nullable=False),
        sa.Column("service_point_id", sa.Uuid(), nullable=True),
        sa.Column("counsellor_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_contact_topics_area_id_areas")),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_contact_topics_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["counsellor_id"], ["users.id"], name=op.f("fk_contact_topics_counsellor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["service_point_id"],
            ["service_points.id"],
            name=op.f("fk_contact_topics_service_point_id_service_points"),
        ),
        sa.PrimaryKeyConstraint("contact_id", "topic", name=op.f("pk_contact_topics")),
    )
    with op.batch_alter_table("contact_topics", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contact_topics_statistics",
            ["month", "area_id", "service_point_id", "counsellor_id", "topic"],
            unique=False,
        )

    op.create_table(
        "event_participants",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("added_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("added_by", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by"], ["users.id"], name=op.f("fk_event_participants_added_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_event_participants_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_participants_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "client_id", name=op.f("pk_event_participants")),
    )
    with op.batch_alter_table("event_participants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_participants_client_id"), ["client_id"], unique=False)

    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("month", sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column("follow_up", sa.Boolean(), server_default=sa.false(), nullable=False))
    _backfill_contacts()
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.alter_column("month", existing_type=sa.String(length=7), nullable=False)
        batch_op.create_index("ix_contacts_statistics", STATISTICS_INDEX, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_contacts_statistics")
        batch_op.drop_column("follow_up")
        batch_op.drop_column("month")

    with op.batch_alter_table("event_participants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_participants_client_id"))
    op.drop_table("event_participants")
    with op.batch_alter_table("contact_topics", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_topics_statistics")
    op.drop_table("contact_topics")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_statistics")
        batch_op.drop_index(batch_op.f("ix_events_organiser_id"))
    op.drop_table("events")
