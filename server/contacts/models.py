"""A contact record (yhteydenotto). Append-only: the statistics fields are written once by `contact.record`
and never change; `contact.link_client` may later fill an empty `client_id` once (null → client, never
another). `client_id` is not a statistics field, so linking changes no figure.

`month` is the calendar month in Finland of `occurred_at` ("YYYY-MM"), computed by the server so that the
statistics group by a plain column on both engines. `contact_topics` repeats each topic of a contact with the
contact's grouping columns: the topic statistics then count from one covering index instead of unpacking
the JSON list of a million rows (the rows are as immutable as the contact's statistics fields).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, utcnow
from sync_protocol.policies import Policy, record_policies

STATISTICS_FIELDS = (
    "occurred_at",
    "month",
    "channel",
    "caller_type",
    "contact_type",
    "topics",
    "resolution",
    "follow_up",
    "area_id",
    "service_point_id",
    "counsellor_id",
    "duration_minutes",
)

POLICIES = record_policies(
    "contact",
    {
        **dict.fromkeys(STATISTICS_FIELDS, Policy.APPEND),
        "note": Policy.APPEND,
        # Set once: an anonymous contact may be linked to a client, a linked one never to another.
        "client_id": Policy.MERGE,
        "id": Policy.SERVER,
        "created_at": Policy.SERVER,
        "linked_at": Policy.SERVER,
        "linked_by": Policy.SERVER,
    },
    merges={"client_id": lambda current, proposed: current if current is not None else proposed},
)


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        Index("ix_contacts_area_occurred", "area_id", "occurred_at"),
        # Covers every statistics query (`server.contacts.statistics`): read in index order, no table rows.
        Index(
            "ix_contacts_statistics",
            "month",
            "area_id",
            "service_point_id",
            "counsellor_id",
            "channel",
            "caller_type",
            "contact_type",
            "resolution",
            "follow_up",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime]
    month: Mapped[str] = mapped_column(String(7))
    channel: Mapped[str] = mapped_column(String(40))
    caller_type: Mapped[str] = mapped_column(String(40))
    contact_type: Mapped[str] = mapped_column(String(40))
    topics: Mapped[list[str]] = mapped_column(JSON)
    resolution: Mapped[str] = mapped_column(String(40))
    # True when the contact continues a matter already raised in an earlier contact (not a first contact).
    follow_up: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    area_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("areas.id"))
    service_point_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("service_points.id"))
    client_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clients.id"), index=True)
    counsellor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    linked_at: Mapped[datetime | None]
    linked_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class ContactTopic(Base):
    """One topic of one contact, with the contact's grouping columns (for the topic statistics)."""

    __tablename__ = "contact_topics"
    __table_args__ = (
        Index(
            "ix_contact_topics_statistics", "month", "area_id", "service_point_id", "counsellor_id", "topic"
        ),
    )

    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    topic: Mapped[str] = mapped_column(String(40), primary_key=True)
    month: Mapped[str] = mapped_column(String(7))
    area_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("areas.id"))
    service_point_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("service_points.id"))
    counsellor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
