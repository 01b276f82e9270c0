"""Shared helpers for the day-activity tests: the demo unit, its clients, and an independent recomputation of
its free places (capacity and stays from `tests.places.helpers.recompute`, plus schedules counted here from
the raw rows, day by day, without `server.places.capacity`)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.clock import today_in_finland
from server.day_activity.models import Attendance, Schedule
from server.demo import DEMO_DAY_UNIT, DEMO_WEEKDAYS, demo_id
from server.reference.models import reference_id
from tests.places.helpers import DAY_NAMES, recompute

DA = reference_id("unit", DEMO_DAY_UNIT)  # oulu-da-1: 20 places Mon-Thu, 15 on Friday, 30 clients


def da_client(n: int) -> str:
    return str(demo_id("client", f"{DEMO_DAY_UNIT}:{n}"))


def demo_weekdays(n: int) -> list[str]:
    return DEMO_WEEKDAYS[n % len(DEMO_WEEKDAYS)]


def new_id() -> str:
    return str(uuid.uuid4())


def last_weekday(before: date | None = None) -> date:
    """The latest Monday-to-Friday date on or before `before` (today)."""
    d = before or today_in_finland()
    while d.weekday() >= 5:
        d -= timedelta(days=1)
    return d


async def recompute_day_activity(
    session: AsyncSession, unit_id: uuid.UUID, days: list[date]
) -> dict[str, tuple[int, int]]:
    base = await recompute(session, unit_id, days)
    schedules = (await session.execute(select(Schedule).where(Schedule.unit_id == unit_id))).scalars().all()
    absences = (
        await session.execute(
            select(Attendance.client_id, Attendance.date).where(
                Attendance.unit_id == unit_id, Attendance.absent_reason.is_not(None)
            )
        )
    ).all()
    absent = {(c, d) for c, d in absences}
    result = {}
    for d in days:
        capacity, occupied = base[d.isoformat()]
        for s in schedules:
            in_period = s.valid_from <= d and (s.valid_until is None or d <= s.valid_until)
            if in_period and DAY_NAMES[d.weekday()] in s.weekdays and (s.client_id, d) not in absent:
                occupied += 1
        result[d.isoformat()] = (capacity, occupied)
    return result
