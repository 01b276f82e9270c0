"""The head-count drift rule at its limits (`server.day_activity.jobs.check_unit_day`): no tolerance, a
difference of one person opens the task and an equal count none; a count of 0 is a count nobody made and
is never compared, so a day with only zeros opens nothing and a later 0 does not hide a real count."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from server.day_activity.jobs import check_unit_day
from server.day_activity.models import HeadCount
from server.places.capacity import load_state, occupied_on
from server.reference.models import Unit
from server.tasks.models import Task
from server.tasks.service import checked
from tests.day_activity.helpers import DA, last_weekday


async def test_every_difference_is_drift_but_a_zero_is_no_count(demo, db):
    days = [last_weekday() - timedelta(days=7 * n) for n in range(1, 5)]  # four past weekdays, one each
    takers = (await load_state(db, await db.get(Unit, DA))).takers
    computed = {d: occupied_on(takers, d) for d in days}
    assert all(c > 0 for c in computed.values()), computed
    at = datetime(2026, 1, 1, 8, tzinfo=UTC)

    def count(day, value: int, minutes: int) -> None:
        db.add(
            HeadCount(
                id=uuid.uuid4(), unit_id=DA, date=day, count=value, created_at=at + timedelta(minutes=minutes)
            )
        )

    equal, one_more, one_less, zeros = days
    count(equal, computed[equal], 0)
    count(one_more, computed[one_more] + 1, 0)
    count(one_more, 0, 5)  # later, nobody counted: the real count above still stands
    count(one_less, computed[one_less] - 1, 0)
    count(zeros, 0, 0)
    await db.commit()

    async def check(day) -> bool:
        await db.rollback()
        return (await checked(db, lambda changes: check_unit_day(db, changes, DA, day, datetime.now(UTC))))[0]

    assert [await check(d) for d in days] == [False, True, True, False]
    assert [await check(d) for d in days] == [False, False, False, False], "the same findings: the same tasks"
    await db.rollback()
    found = (await db.scalars(select(Task).where(Task.kind == "headcount_drift").order_by(Task.date))).all()
    assert [(t.date, t.details["counted"], t.details["computed"]) for t in found] == sorted(
        [
            (one_more, computed[one_more] + 1, computed[one_more]),
            (one_less, computed[one_less] - 1, computed[one_less]),
        ]
    )
