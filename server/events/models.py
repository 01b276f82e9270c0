"""A guidance event or info session (`event`) and its named participants (`event_participants`).

An event belongs to one area (its counsellors see and change it) and is organised by the counsellor who
recorded it (`organiser_id`); `organiser_name` names the organising party in words ("Aino-neuvonta and
the pensioners' association"). `participant_count` is everyone who took part, named or not: naming a
client as a participant never lowers it, and raises it when more clients are named than counted.

Field policies (protocol §6): what `event.update` may change is last-writer-wins; the area, the organiser
and the audit fields are the server's; participants are added and removed by their own mutations, so two
counsellors naming different people offline both keep theirs (`participants` merges as a set).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, utcnow
from sync_protocol.policies import Policy, record_policies

EDITABLE_FIELDS = (
    "kind",
    "title",
    "topics",
    "held_on",
    "service_point_id",
    "place",
    "organiser_name",
    "participant_count",
    "note",
)

POLICIES = record_policies(
    "event",
    {
        **dict.fromkeys(EDITABLE_FIELDS, Policy.LWW),
        "participants": Policy.APPEND,
        "id": Policy.SERVER,
        "area_id": Policy.SERVER,
        "month": Policy.SERVER,
        "organiser_id": Policy.SERVER,
        "revision": Policy.SERVER,
        "created_at": Policy.SERVER,
        "updated_at": Policy.SERVER,
        "updated_by": Policy.SERVER,
    },
)


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_statistics", "month", "area_id", "service_point_id", "organiser_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    topics: Mapped[list[str]] = mapped_column(JSON)
    held_on: Mapped[date]
    month: Mapped[str] = mapped_column(String(7))  # "YYYY-MM" of held_on, for the statistics
    area_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("areas.id"))
    service_point_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("service_points.id"))
    place: Mapped[str | None] = mapped_column(String(200))
    organiser_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    organiser_name: Mapped[str | None] = mapped_column(String(200))
    participant_count: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))


class EventParticipant(Base):
    """A client named as a participant of an event."""

    __tablename__ = "event_participants"

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    added_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
