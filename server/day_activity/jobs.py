"""Head-count drift: a unit's recorded head count against the occupancy the server computes.

Units record how many people were in the unit on a day (`headcount.record`, for fire safety and meals).
The server computes the same day's occupancy from its own rows (`server.places.capacity`: booked stays,
residents not away, scheduled day-activity clients without a recorded absence; not the places held by
open offers, which are nobody in the building). When the last head count of a day differs from it, the
unit's records and its reality have drifted apart — a check-in or absence not recorded, a stay not
booked — and the unit's staff get a `headcount_drift` task to find out which. Nothing is corrected
automatically: only a person knows which side is wrong.

One task per unit, day and drift (the counted and the computed figures are in its id): a second run finds
the same task; a new count that still differs is a new finding, and a count that matches opens nothing.

There is no tolerance: a difference of one is one person the records do not account for (an arrival or an
absence not recorded), which is what the count is for (fire safety, meals). A count of 0 is not compared:
it is a count nobody made (a form sent empty), not an empty unit, so the day's last count above 0 is the
one compared, and a day with only zeros opens nothing.

`day_activity.headcount_drift` runs for one unit and day when a head count is recorded (an outbox row in
`headcount.record`'s transaction); `day_activity.headcount_scan` checks the head counts of the last 7 days
every night, because the computed side also moves when late uploads arrive.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.clock import today_in_finland
from server.day_activity.models import HeadCount
from server.jobs.registry import NIGHTLY_RETRY, Cron, RetryPolicy, job
from server.places.capacity import load_state, occupied_on
from server.reference.models import Unit
from server.sync.changes import ChangeSet
from server.tasks.service import NewTask, checked, open_task

SCAN_DAYS = 7


class UnitDay(msgspec.Struct, forbid_unknown_fields=True):
    unit_id: uuid.UUID
    date: date


async def check_unit_day(
    session: AsyncSession, changes: ChangeSet, unit_id: uuid.UUID, day: date, now: datetime
) -> bool:
    """Open the drift task for the unit's day if its last count above 0 differs; True if one was opened."""
    count = (
        await session.scalars(
            select(HeadCount)
            .where(HeadCount.unit_id == unit_id, HeadCount.date == day, HeadCount.count > 0)
            .order_by(HeadCount.created_at.desc(), HeadCount.id.desc())
            .limit(1)
        )
    ).first()
    unit = await session.get(Unit, unit_id)
    if count is None or unit is None:
        return False
    computed = occupied_on((await load_state(session, unit)).takers, day)
    if count.count == computed:
        return False
    new = NewTask(
        kind="headcount_drift",
        role="unit_staff",
        about_type="unit_day",
        about_id=f"{unit_id}:{day.isoformat()}",
        key=(str(unit_id), day.isoformat(), str(count.count), str(computed)),
        unit_id=unit_id,
        area_id=unit.area_id,
        date=day,
        details={"counted": count.count, "computed": computed, "headcount_id": str(count.id)},
    )
    return (await open_task(session, changes, new, now))[1]


@job("day_activity.headcount_drift", args=UnitDay, retry=RetryPolicy(tries=5, backoff_seconds=10))
async def headcount_drift(session: AsyncSession, now: datetime, args: UnitDay) -> tuple[bool, ChangeSet]:
    """Compare one unit's day; returns whether a task was opened."""
    return await checked(
        session, lambda changes: check_unit_day(session, changes, args.unit_id, args.date, now)
    )


@job("day_activity.headcount_scan", cron=Cron(hour=1, minute=15), retry=NIGHTLY_RETRY, timeout=600)
async def headcount_scan(session: AsyncSession, now: datetime) -> tuple[int, ChangeSet]:
    """Every unit's days with a head count in the last 7 days; returns how many tasks were opened."""

    async def check(changes: ChangeSet) -> int:
        since = today_in_finland(now) - timedelta(days=SCAN_DAYS)
        days = (
            await session.execute(
                select(HeadCount.unit_id, HeadCount.date)
                .where(HeadCount.date >= since)
                .distinct()
                .order_by(HeadCount.unit_id, HeadCount.date)
            )
        ).all()
        return sum([await check_unit_day(session, changes, unit_id, day, now) for unit_id, day in days])

    return await checked(session, check)
