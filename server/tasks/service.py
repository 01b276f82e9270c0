"""Opening, publishing and reading tasks; what the domains and the reconciliation jobs call.

    task, created = await open_task(session, changes, NewTask(kind="headcount_drift", role="unit_staff",
                                    unit_id=unit.id, about_type="unit_day", about_id=f"{unit.id}:{day}",
                                    key=(str(unit.id), day.isoformat(), str(drift))), now)

The id is derived from the kind and the key (or given, for the no-show follow-up whose id devices already
know), so opening the same task again changes nothing and publishes nothing: a job run twice, or two
tablets reporting the same no-show, make one task.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.scopes import ADMIN, PLACES, area_scope, unit_scope, user_scope
from server.db import begin_write, dialect_insert
from server.sync.changes import ChangeSet, to_data
from server.tasks.models import ROLES, Task

T = TypeVar("T")
TASK_NAMESPACE = uuid.UUID("7b2e4c1a-93d5-5f0e-8a6b-2c4d9e1f3a57")


def task_id(kind: str, key: Sequence[str]) -> uuid.UUID:
    return uuid.uuid5(TASK_NAMESPACE, ":".join([kind, *key]))


def no_show_task_id(attendance_id: uuid.UUID) -> uuid.UUID:
    """The no-show follow-up's id (kept from before the tasks domain: devices may hold it)."""
    return uuid.uuid5(attendance_id, "no_show")


def scope_for(
    role: str, unit_id: uuid.UUID | None, area_id: uuid.UUID | None, assignee_id: uuid.UUID | None
) -> str:
    """The one scope a task for `role` is published in: only that role's devices receive it."""
    if role == "unit_staff" and unit_id is not None:
        return unit_scope(unit_id)
    if role in ("counsellor", "supervisor") and assignee_id is not None:
        return user_scope(assignee_id)
    if role == "counsellor" and area_id is not None:
        return area_scope(area_id)
    if role == "coordinator":
        return PLACES
    if role == "admin":
        return ADMIN
    raise ValueError(f"A task for {role!r} needs its unit, area or assignee.")


@dataclass(frozen=True)
class NewTask:
    kind: str
    role: str
    about_type: str
    about_id: str
    key: Sequence[str] = ()
    id: uuid.UUID | None = None
    unit_id: uuid.UUID | None = None
    area_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    client_id: uuid.UUID | None = None
    date: date | None = None
    due: date | None = None
    details: dict[str, Any] | None = None

    def task_id(self) -> uuid.UUID:
        return self.id or task_id(self.kind, self.key or (self.about_type, self.about_id))


def task_data(row: Task) -> dict[str, Any]:
    """The `task` record devices hold."""
    return {
        "id": str(row.id),
        "kind": row.kind,
        "role": row.role,
        "unit_id": str(row.unit_id) if row.unit_id else None,
        "area_id": str(row.area_id) if row.area_id else None,
        "assignee_id": str(row.assignee_id) if row.assignee_id else None,
        "about_type": row.about_type,
        "about_id": row.about_id,
        "client_id": str(row.client_id) if row.client_id else None,
        "date": to_data(row.date),
        "due": to_data(row.due),
        "details": row.details,
        "created_at": to_data(row.created_at),
        "status": row.status,
        "outcome": row.outcome,
        "closed_by": str(row.closed_by) if row.closed_by else None,
        "closed_at": to_data(row.closed_at),
    }


def publish_task(changes: ChangeSet, row: Task) -> None:
    changes.put("task", row.id, task_data(row), [row.scope])


async def open_task(
    session: AsyncSession, changes: ChangeSet, new: NewTask, now: datetime
) -> tuple[Task, bool]:
    """The task, and whether this call created it (an existing one, open or done, is left as it is)."""
    if new.role not in ROLES:
        raise ValueError(f"Unknown task role {new.role!r}.")
    row_id = new.task_id()
    existing = await session.get(Task, row_id)
    if existing is not None:
        return existing, False
    scope = scope_for(new.role, new.unit_id, new.area_id, new.assignee_id)
    inserted = await session.execute(
        dialect_insert(session, Task)
        .values(
            id=row_id,
            kind=new.kind,
            role=new.role,
            scope=scope,
            unit_id=new.unit_id,
            area_id=new.area_id,
            assignee_id=new.assignee_id,
            about_type=new.about_type,
            about_id=new.about_id,
            client_id=new.client_id,
            date=new.date,
            due=new.due,
            details=new.details,
            created_at=now,
            status="open",
        )
        .on_conflict_do_nothing()  # a concurrent transaction opened it first: it is the same task
    )
    row = await session.get(Task, row_id)
    assert row is not None
    created = inserted.rowcount == 1
    if created:
        publish_task(changes, row)
    return row, created


async def checked(session: AsyncSession, check: Callable[[ChangeSet], Awaitable[T]]) -> tuple[T, ChangeSet]:
    """A reconciliation job's body: `check(changes)` in one write transaction, its tasks published with
    it (flushed and committed once, at the end: the outbox row is marked done in the same commit)."""
    changes = ChangeSet()
    await begin_write(session)
    found = await check(changes)
    await changes.flush(session)
    await session.commit()
    return found, changes
