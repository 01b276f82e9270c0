"""One attendance record per (client, unit, date), whatever the number of tablets that touched it.

Its id is derived (`sync_protocol.policies.attendance_id`), so tablets that check the same client in
offline name the same record, and the server merges their events (`merge`: earliest check-in, latest
check-out, presence beats absence).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, utcnow
from sync_protocol.policies import Policy, record_policies

POLICIES = record_policies(
    "attendance",
    {
        "checked_in_at": Policy.MERGE,
        "checked_out_at": Policy.MERGE,
        "absent_reason": Policy.MERGE,
        "client_id": Policy.SERVER,
        "unit_id": Policy.SERVER,
        "date": Policy.SERVER,
    },
    # Field by field; `merge_attendance` applies them together, and a presence clears the absence.
    merges={
        "checked_in_at": lambda a, b: min((v for v in (a, b) if v is not None), default=None),
        "checked_out_at": lambda a, b: max((v for v in (a, b) if v is not None), default=None),
        "absent_reason": lambda a, b: min((v for v in (a, b) if v is not None), default=None),
    },
)


class Attendance(Base):
    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("client_id", "unit_id", "date"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("units.id"))
    date: Mapped[date]
    checked_in_at: Mapped[datetime | None]
    checked_out_at: Mapped[datetime | None]
    absent_reason: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
