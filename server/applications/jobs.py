"""The applications' deadline watcher: a task for the handler before the handling limit is missed.

Kaari's handling limit: an application should be decided within 90 days of its
receipt (`APPLICATION_DECISION_DAYS`; the Elderly Services Act §18 gives three months for arranging a
granted service, and the county measures handling times against the same limit). From 10 working days
before that, an application still `received` or `in_process` gives its handler an `application_deadline`
task (the area's counsellors while nobody handles it). No push: the task reaches the counsellor's devices.

It runs every morning at 07:00 and when a worker starts (`applications.deadline_watch`); one task per
application and limit, so a second run finds it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.applications.models import OPEN_STATUSES, Application
from server.assessments.deadlines import working_days_left
from server.clock import today_in_finland
from server.jobs.registry import NIGHTLY_RETRY, Cron, job
from server.sync.changes import ChangeSet
from server.tasks.service import NewTask, checked, open_task

# Vanhuspalvelulaki (980/2012) 18 §: a non-urgent service is arranged at the latest three months after the
# application; the decision must come in time for that, so the watcher counts 90 days from receipt.
APPLICATION_DECISION_DAYS = 90
APPLICATION_WARNING_WORKING_DAYS = 10


def application_deadline(row: Application) -> date:
    return row.received_on + timedelta(days=APPLICATION_DECISION_DAYS)


def application_at_risk(row: Application, today: date) -> bool:
    return (
        row.status in OPEN_STATUSES
        and working_days_left(today, application_deadline(row)) <= APPLICATION_WARNING_WORKING_DAYS
    )


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


@job(
    "applications.deadline_watch",
    cron=Cron(hour=7, minute=0, at_startup=True),
    retry=NIGHTLY_RETRY,
    timeout=600,
)
async def deadline_watch(session: AsyncSession, now: datetime) -> tuple[dict[str, int], ChangeSet]:
    """Every open application; returns how many tasks were opened."""

    async def check(changes: ChangeSet) -> dict[str, int]:
        applications = await session.scalars(
            select(Application)
            .where(Application.status.in_(OPEN_STATUSES))
            .order_by(Application.received_on, Application.id)
        )
        opened = [await application_task(session, changes, r, now) for r in applications.all()]
        return {"applications": sum(opened)}

    return await checked(session, check)
