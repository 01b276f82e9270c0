"""What other domains call, inside the transaction of the change that makes a notification due.

Each call only writes rows (the burst's pending dates, an outbox row for a `notifications.*` job): they
commit with the change or roll back with it (a rejected mutation's savepoint takes them too), and the job
does the work after the commit. One line at each place:

- `server.places.mutations.check_and_publish` → `places_changed(...)`: any places mutation that leaves a
  date of the next 60 days with more free places than before (a cancelled stay, a move-out, a raised
  capacity, a declined offer, an absence) announces it; `server.queue.jobs.expire_offers` → `places_freed`.
- `referral.create` → `referral_created`; `application.receive` → `application_received`;
  `placement.offer` → `offer_made` (a warning 6 h before it expires); `assessment.open` →
  `assessment_opened` (a warning before the statutory deadline, and the counsellor's task).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from notifications import bursts, rules
from server.clock import today_in_finland
from server.jobs import outbox
from server.places.capacity import HORIZON_DAYS, UnitState, day_places, horizon


class UnitArgs(msgspec.Struct):
    unit_id: uuid.UUID


class RecordArgs(msgspec.Struct):
    id: uuid.UUID


def freed_dates(before: UnitState, after: UnitState, today: date) -> list[date]:
    """The dates of the published window on which `after` has a free place and more than `before` had."""
    days = horizon(today)
    old, new = day_places(before, days), day_places(after, days)
    return [d for d in days if new[d].free > 0 and new[d].free > old[d].free]


async def places_freed(
    session: AsyncSession, unit_id: uuid.UUID, first: date, last: date | None, now: datetime
) -> None:
    """Places of the unit may be free on first..last (None: open-ended, to the end of the published window)."""
    last = last or today_in_finland(now) + timedelta(days=HORIZON_DAYS)
    run_at = await bursts.note_freed(session, unit_id, first, last, now)
    await outbox.add(session, "notifications.free_places", str(unit_id), UnitArgs(unit_id), run_at=run_at)


async def places_changed(
    session: AsyncSession, before: UnitState, after: UnitState, today: date, now: datetime
) -> None:
    freed = freed_dates(before, after, today)
    if freed:
        await places_freed(session, after.unit.id, freed[0], freed[-1], now)


async def referral_created(session: AsyncSession, referral_id: uuid.UUID) -> None:
    await outbox.add(session, "notifications.referral", f"referral:{referral_id}", RecordArgs(referral_id))


async def application_received(session: AsyncSession, application_id: uuid.UUID) -> None:
    await outbox.add(
        session, "notifications.application", f"application:{application_id}", RecordArgs(application_id)
    )


def offer_job_key(offer_id: uuid.UUID) -> str:
    return f"offer:{offer_id}"


def assessment_job_key(assessment_id: uuid.UUID) -> str:
    return f"assessment:{assessment_id}"


async def offer_made(session: AsyncSession, offer_id: uuid.UUID, expires_at: datetime, now: datetime) -> None:
    await ask_offer_warning(session, offer_id, rules.offer_warning_at(expires_at, now))


async def assessment_opened(
    session: AsyncSession, assessment_id: uuid.UUID, deadline: date | None, now: datetime
) -> None:
    """`now`: when it was opened (the warning comes no earlier than two hours after)."""
    if deadline is not None:
        warning_at = rules.deadline_warning_at(deadline, now)
        await ask_deadline_warning(session, assessment_id, warning_at)
        # And the counsellor's task at the same time (`server.assessments.jobs`, the deadline watcher).
        args, key = RecordArgs(assessment_id), assessment_job_key(assessment_id)
        await outbox.add(session, "assessments.deadline_task", key, args, run_at=warning_at)


async def ask_offer_warning(session: AsyncSession, offer_id: uuid.UUID, run_at: datetime) -> None:
    await outbox.add(
        session, "notifications.offer_expiring", offer_job_key(offer_id), RecordArgs(offer_id), run_at=run_at
    )


async def ask_deadline_warning(session: AsyncSession, assessment_id: uuid.UUID, run_at: datetime) -> None:
    await outbox.add(
        session,
        "notifications.deadline_at_risk",
        assessment_job_key(assessment_id),
        RecordArgs(assessment_id),
        run_at=run_at,
    )
