"""A task: work for a named role in a unit or area, about one record (and often one client).

Tasks are created by the server only (a no-show's follow-up, the reconciliation jobs), never typed in by
a device, and always with a deterministic id (`server.tasks.service.task_id`): whatever finds the same
thing again (a second tablet, a second run of a job) names the same task and creates nothing.

- `role` — who the task is for: `unit_staff` (of `unit_id`), `coordinator` (the placement coordinators),
  `counsellor` (`assignee_id`, the responsible counsellor; the area's counsellors while nobody is), or
  `admin`.
- `scope` — the one sync scope the task is published in and read from, derived from the role
  (`server.tasks.service.scope_for`): `unit:{id}`, `places`, `user:{id}`, `area:{id}`, `admin`. Only
  devices of that role's scope receive it.
- `about_type` / `about_id` — the record the task is about (an attendance record, a unit's day, a stay, an
  assessment, an application); `client_id` when it concerns one client.
- `date` — the day it is about; `due` — when it must be done by (a statutory deadline), if anything.
- `status` `open` → `done` (`task.complete`, with an outcome; who closed it and when).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, utcnow

ROLES = ("unit_staff", "coordinator", "counsellor", "admin")
STATUSES = ("open", "done")


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_scope_status", "scope", "status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(20))
    scope: Mapped[str] = mapped_column(String(80))
    unit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("units.id"), index=True)
    area_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("areas.id"))
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    about_type: Mapped[str] = mapped_column(String(40))
    about_id: Mapped[str] = mapped_column(String(80))
    client_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    date: Mapped[date | None]
    due: Mapped[date | None]
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="open")
    outcome: Mapped[str | None] = mapped_column(String(500))
    closed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None]
