"""`task.complete`: the task's role closes it with an outcome (offline-capable, idempotent).

Who: whoever holds the task's scope (`Task.scope`: the unit's staff, the coordinators, the responsible
counsellor or the area's counsellors, admins) — the same devices that received it. Completing a task that
is already done changes nothing and answers its current state, so a device that completed it offline, or
two tablets completing it at once, never fail: the first outcome stays.

`task.close` is the same mutation under its earlier name (the no-show follow-up before the tasks domain):
devices may still hold it in their outboxes, written before an update.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec

from server.sync import authorisation as auth
from server.sync.mutations import MutationContext, mutation
from server.tasks.models import Task
from server.tasks.service import publish_task

Outcome = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class CompleteTask(msgspec.Struct, forbid_unknown_fields=True):
    task_id: uuid.UUID
    outcome: Outcome


# The only check (the scope) comes before the only write.
@mutation(
    "task.close", args=CompleteTask, touches=lambda a: (auth.ClientOf("task", a.task_id),), savepoint=False
)
@mutation(
    "task.complete", args=CompleteTask, touches=lambda a: (auth.ClientOf("task", a.task_id),), savepoint=False
)
async def complete_task(ctx: MutationContext, args: CompleteTask) -> dict:
    """Complete a task with its outcome; a task already done stays as it was."""
    # Locked: two devices completing it at once run one after the other, and the first outcome stays.
    task = await ctx.session.get(Task, args.task_id, populate_existing=True, with_for_update=True)
    if task is None:
        ctx.reject("unknown_entity", "No such task.", {"task_id": str(args.task_id)})
    ctx.require_scope(task.scope)
    if task.status != "done":
        task.status, task.outcome = "done", args.outcome
        task.closed_by, task.closed_at = ctx.user_id, ctx.now
        await ctx.session.flush()
        publish_task(ctx.changes, task)
    return {"task_id": str(task.id), "status": task.status}
