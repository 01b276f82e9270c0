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

**Applications.** Kaari's handling limit: an application should be decided within 90 days of its
receipt (`APPLICATION_DECISION_DAYS`; the Elderly Services Act §18 gives three months for arranging a
granted service, and the county measures handling times against the same limit). From 10 working days
before that, an application still `received` or `in_process` gives its handler an `application_deadline`
task (the area's counsellors while nobody handles it). No push: the task reaches the counsellor's devices.

One task per process and deadline: a second run, or both jobs, find it. `assessments.deadline_task` runs
for one assessment at its warning time (asked for by `assessment.open`); `assessments.deadline_watch`
checks every open process every morning at 07:00 and when a worker starts.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.triggers import RecordArgs
from server.applications.models import OPEN_STATUSES as OPEN_APPLICATIONS
from server.applications.models import Application
from server.assessments.deadlines import working_days_left
from server.assessments.models import Assessment
from server.clock import today_in_finland
from server.jobs import outbox
from server.jobs.registry import NIGHTLY_RETRY, Cron, RetryPolicy, job
from server.sync.changes import ChangeSet
from server.tasks.service import NewTask, checked, open_task

# Vanhuspalvelulaki (980/2012) 18 §: a non-urgent service is arranged at the latest three months after the
# application; the decision must come in time for that, so the watcher counts 90 days from receipt.
APPLICATION_DECISION_DAYS = 90
APPLICATION_WARNING_WORKING_DAYS = 10


def assessment_at_risk(row: Assessment, today: date) -> bool:
    """Not started, and today is the last working day before the deadline, the deadline, or later."""
    return (
        row.status == "contacted" and row.deadline is not None and working_days_left(today, row.deadline) <= 1
    )


def application_deadline(row: Application) -> date:
    return row.received_on + timedelta(days=APPLICATION_DECISION_DAYS)


def application_at_risk(row: Application, today: date) -> bool:
    return (
        row.status in OPEN_APPLICATIONS
        and working_days_left(today, application_deadline(row)) <= APPLICATION_WARNING_WORKING_DAYS
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
        await outbox.add(
            session, "notifications.deadline_at_risk", f"assessment:{row.id}", RecordArgs(row.id)
        )
    return created


async def application_task(
    session: AsyncSession, changes: ChangeSet, row: Application, now: datetime
) -> bool:
    if not application_at_risk(row, today_in_finland(now)):
        return False
    deadline = application_deadline(row)
    new = NewTask(
        kind="application_deadline",
        role="counsellor",
        about_type="application",
        about_id=str(row.id),
        key=(str(row.id), deadline.isoformat()),
        assignee_id=row.handler_id,
        area_id=row.area_id,
        client_id=row.client_id,
        due=deadline,
        details={"service": row.service, "received_on": row.received_on.isoformat()},
    )
    return (await open_task(session, changes, new, now))[1]


@job("assessments.deadline_task", args=RecordArgs, retry=RetryPolicy(tries=5, backoff_seconds=10))
async def deadline_task(session: AsyncSession, now: datetime, args: RecordArgs) -> tuple[bool, ChangeSet]:
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
    """Every open assessment and application; returns how many tasks of each were opened."""

    async def check(changes: ChangeSet) -> dict[str, int]:
        assessments = await session.scalars(
            select(Assessment)
            .where(Assessment.status == "contacted", Assessment.deadline.is_not(None))
            .order_by(Assessment.deadline, Assessment.id)
        )
        applications = await session.scalars(
            select(Application)
            .where(Application.status.in_(OPEN_APPLICATIONS))
            .order_by(Application.received_on, Application.id)
        )
        return {
            "assessments": sum([await assessment_task(session, changes, r, now) for r in assessments.all()]),
            "applications": sum(
                [await application_task(session, changes, r, now) for r in applications.all()]
            ),
        }

    return await checked(session, check)
