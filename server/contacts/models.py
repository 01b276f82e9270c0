"""A contact record. Append-only: the statistics fields are written once by `contact.record` and never
change; `contact.link_client` may later fill an empty `client_id` once (null → client, never another).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, utcnow
from sync_protocol.policies import Policy, record_policies

STATISTICS_FIELDS = (
    "occurred_at",
    "channel",
    "caller_type",
    "contact_type",
    "topics",
    "resolution",
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
    __table_args__ = (Index("ix_contacts_area_occurred", "area_id", "occurred_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(40))
    caller_type: Mapped[str] = mapped_column(String(40))
    contact_type: Mapped[str] = mapped_column(String(40))
    topics: Mapped[list[str]] = mapped_column(JSON)
    resolution: Mapped[str] = mapped_column(String(40))
    area_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("areas.id"))
    service_point_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("service_points.id"))
    client_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clients.id"), index=True)
    counsellor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    linked_at: Mapped[datetime | None]
    linked_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
