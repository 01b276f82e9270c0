"""The statutory-deadline watcher: a task (and a notification) before a deadline is missed.

**Assessments.** A non-urgent assessment of a person aged 75+ must start by the 7th working day after the
contact, an urgent one the same day (`server.assessments.deadlines`; Finnish public holidays from
`server.calendar_fi`). From the last working day before its deadline (the deadline day itself for a
same-day one), or once it has passed, a process still `contacted` is *at risk*: its responsible counsellor
gets an `assessment_deadline` task (in their `user:` scope, due on the deadline) and the
`notifications.deadline_at_risk` notification. That notification is the existing rule's
(`notifications/rules.py`): `assessment.open` already asks for it at 08:00 on that day
(`notifications.triggers.assessment_opened`); when the watcher opens a task it asks for it again at once,
which changes nothing if it was sent (its id is derived from the assessment and the deadline), and sends
it now for a process the trigger never saw (opened before notifications existed, a deadline recomputed).

One task per process and deadline: a second run, or both jobs, find it (applications have a watcher
of their own, `server.applications.jobs`). `assessments.deadline_task` runs
for one assessment at its warning time (asked for by `assessment.open`); `assessments.deadline_watch`
checks every open process every morning at 07:00 and when a worker starts.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server import signals
from server.assessments.deadlines import working_days_left
from server.assessments.models import Assessment
from server.clock import today_in_finland
from server.jobs import outbox
from server.jobs.registry import NIGHTLY_RETRY, Cron, RetryPolicy, job
from server.sync.changes import ChangeSet
from server.tasks.service import NewTask, checked, open_task


class AssessmentArgs(msgspec.Struct):
    id: uuid.UUID


async def ask_deadline_task(session: AsyncSession, assessment_id: uuid.UUID, run_at: datetime) -> None:
    """`assessment.open`: look at the process again when its deadline warning is due."""
    key = f"assessment:{assessment_id}"
    await outbox.add(session, "assessments.deadline_task", key, AssessmentArgs(assessment_id), run_at=run_at)


def assessment_at_risk(row: Assessment, today: date) -> bool:
    """Not started, and today is the last working day before the deadline, the deadline, or later."""
    return (
        row.status == "contacted" and row.deadline is not None and working_days_left(today, row.deadline) <= 1
    )


async def assessment_task(session: AsyncSession, changes: ChangeSet, row: Assessment, now: datetime) -> bool:
    """The counsellor's task, and the notification asked for, if the process is at risk; True if opened."""
    if not assessment_at_risk(row, today_in_finland(now)):
        return False
    assert row.deadline is not None
    new = NewTask(
        kind="assessment_deadline",
        role="counsellor",
        about_type="assessment",
        about_id=str(row.id),
        key=(str(row.id), row.deadline.isoformat()),
        assignee_id=row.counsellor_id,
        area_id=row.area_id,
        client_id=row.client_id,
        due=row.deadline,
        details={"rule": row.rule, "contact_on": row.contact_on.isoformat()},
    )
    _, created = await open_task(session, changes, new, now)
    if created:
        await signals.publish(session, signals.DeadlineAtRisk(row.id), now)
    return created


@job("assessments.deadline_task", args=AssessmentArgs, retry=RetryPolicy(tries=5, backoff_seconds=10))
async def deadline_task(session: AsyncSession, now: datetime, args: AssessmentArgs) -> tuple[bool, ChangeSet]:
    """One assessment at its warning time; returns whether a task was opened."""

    async def check(changes: ChangeSet) -> bool:
        row = await session.get(Assessment, args.id)
        return row is not None and await assessment_task(session, changes, row, now)

    return await checked(session, check)


@job(
    "assessments.deadline_watch",
    cron=Cron(hour=7, minute=0, at_startup=True),
    retry=NIGHTLY_RETRY,
    timeout=600,
)
async def deadline_watch(session: AsyncSession, now: datetime) -> tuple[dict[str, int], ChangeSet]:
    """Every open assessment; returns how many tasks were opened."""

    async def check(changes: ChangeSet) -> dict[str, int]:
        assessments = await session.scalars(
            select(Assessment)
            .where(Assessment.status == "contacted", Assessment.deadline.is_not(None))
            .order_by(Assessment.deadline, Assessment.id)
        )
        return {
            "assessments": sum([await assessment_task(session, changes, r, now) for r in assessments.all()]),
        }

    return await checked(session, check)
