"""`GET /api/tasks`: the open tasks of the caller's scopes (what their devices also hold).

Object-level authorisation: a task is listed only if its one scope (`Task.scope`) is among the caller's
sync scopes (`server.accounts.scopes.scopes_for`): a unit's staff see their units' tasks, a counsellor their
own and their areas', coordinators the placement tasks, admins the admin tasks; on a shared tablet only its
unit's. A task about a client is a read of client data: one access-log entry per such task, in the same
transaction as the read (if the log cannot be written, nothing is returned).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, get
from litestar.params import QueryParameter
from sqlalchemy import select

from server.access_log import service as access_log
from server.accounts.scopes import scopes_for, unit_scope
from server.db import begin_write
from server.deps import CurrentPrincipal, DbSession
from server.tasks.models import Task


class TaskOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    role: str
    unit_id: uuid.UUID | None
    area_id: uuid.UUID | None
    assignee_id: uuid.UUID | None
    about_type: str
    about_id: str
    client_id: uuid.UUID | None
    date: date | None
    due: date | None
    details: dict[str, Any] | None
    created_at: datetime
    status: str


class TaskList(msgspec.Struct):
    tasks: list[TaskOut]


class TasksController(Controller):
    path = "/api/tasks"
    tags = ["tasks"]

    @get("/", operation_id="listTasks")
    async def list_tasks(
        self,
        principal: CurrentPrincipal,
        db_session: DbSession,
        unit_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
        status: Annotated[Literal["open", "done"], QueryParameter()] = "open",
    ) -> TaskList:
        """Tasks in the caller's scopes (open by default; `unit_id` narrows to one unit). Logged."""
        principal.require_user()
        await begin_write(db_session)
        scopes = await scopes_for(db_session, principal)
        if unit_id is not None:
            scopes &= {unit_scope(unit_id)}
        rows = list(
            (
                await db_session.scalars(
                    select(Task)
                    .where(Task.scope.in_(sorted(scopes)), Task.status == status)
                    .order_by(Task.due.is_(None), Task.due, Task.created_at, Task.id)
                    .limit(500)
                )
            ).all()
        )
        await access_log.record_each(
            db_session,
            [
                (
                    principal.actor(t.role),
                    access_log.Access(
                        "task", "read", f"task:{t.scope}", client_id=t.client_id, record_id=str(t.id)
                    ),
                )
                for t in rows
                if t.client_id is not None
            ],
        )
        return TaskList(
            [
                TaskOut(
                    t.id,
                    t.kind,
                    t.role,
                    t.unit_id,
                    t.area_id,
                    t.assignee_id,
                    t.about_type,
                    t.about_id,
                    t.client_id,
                    t.date,
                    t.due,
                    t.details,
                    t.created_at,
                    t.status,
                )
                for t in rows
            ]
        )
