"""A conflict record: one contested `manual` field of one record, with the value kept and the one proposed.

Conflicts are written by the domain whose record was contested (`server.conflicts.service.open_conflict`) and
resolved with `conflict.resolve`. Every field is computed by the server.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, utcnow
from sync_protocol.policies import Policy, record_policies

FIELDS = (
    "id",
    "record_type",
    "record_id",
    "field",
    "kept_value",
    "proposed_value",
    "base_version",
    "author_id",
    "mutation_id",
    "created_at",
    "status",
    "resolved_by",
    "resolved_at",
    "resolution",
    "resolved_value",
)
POLICIES = record_policies("conflict", dict.fromkeys(FIELDS, Policy.SERVER))


class Conflict(Base):
    __tablename__ = "conflicts"
    __table_args__ = (Index("ix_conflicts_record", "record_type", "record_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[str] = mapped_column(String(64))
    field: Mapped[str] = mapped_column(String(64))
    # JSON-ready values (dates as ISO strings, ids as text), exactly as devices see them in records.
    kept_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    proposed_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    base_version: Mapped[int | None] = mapped_column(Integer)
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    mutation_id: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(String(16))
    resolved_value: Mapped[Any] = mapped_column(JSON, nullable=True)
