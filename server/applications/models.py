"""An application (*hakemus*) for a service: received, handled by a handler, decided or withdrawn.

`status` `received` → `in_process` (a handler took it) → `decided`, or `withdrawn` from any open state.
`handler_id` is the member of staff handling it (counted per handler in the statistics). Field policies:
what was applied for and when it arrived are written once (`append`); the handler is `lww` (the last
assignment the server applied wins); status and decision are moved by the server's state machine (`server`:
a step that disagrees with the current state is rejected with the current values, never dropped silently).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, utcnow
from sync_protocol.policies import Policy, record_policies

STATUSES = ("received", "in_process", "decided", "withdrawn")
OPEN_STATUSES = ("received", "in_process")
DECISIONS = ("granted", "partly_granted", "refused")

POLICIES = record_policies(
    "application",
    {
        "client_id": Policy.APPEND,
        "area_id": Policy.APPEND,
        "service": Policy.APPEND,
        "received_on": Policy.APPEND,
        "assessment_id": Policy.APPEND,
        "handler_id": Policy.LWW,
        "status": Policy.SERVER,
        "decision": Policy.SERVER,
        "decided_on": Policy.SERVER,
        "withdrawn_on": Policy.SERVER,
        "id": Policy.SERVER,
    },
)


class Application(Base):
    __tablename__ = "applications"
    __table_args__ = (Index("ix_applications_area_received", "area_id", "received_on"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    area_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("areas.id"))
    service: Mapped[str] = mapped_column(String(40))
    received_on: Mapped[date]
    assessment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("assessments.id"))
    handler_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="received")
    decision: Mapped[str | None] = mapped_column(String(16))
    decided_on: Mapped[date | None]
    withdrawn_on: Mapped[date | None]
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
