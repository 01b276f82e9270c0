"""Double check-ins: a client present (checked in or out) at two or more day-activity units on one day.

Each tablet's check-in is fine alone; two that were offline together can each record the client. One task
(`double_check_in`) for the staff of each unit, about that unit's attendance record, naming the other
units; the staff correct their own record (one of the check-ins is a mistake, or the client really moved,
and one unit checks them out). Opened once: the task's key is the client, the day and the unit.

Triggers: a push with check-ins or check-outs writes one `day_activity.double_check_ins` row for the whole
batch in its own transaction (`attendance_uploaded`); `day_activity.anomaly_scan` checks the last 31 days
every night.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta

import msgspec
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.clock import today_in_finland
from server.day_activity.models import Attendance
from server.jobs import outbox
from server.jobs.registry import NIGHTLY_RETRY, Cron, RetryPolicy, job
from server.sync.changes import ChangeSet
from server.tasks.service import NewTask, checked, open_task

LOOK_BACK = timedelta(days=31)


class ClientDay(msgspec.Struct, array_like=True):
    client_id: uuid.UUID
    date: date


class CheckIns(msgspec.Struct, forbid_unknown_fields=True):
    check_ins: list[ClientDay] = []


async def attendance_uploaded(session: AsyncSession, presences: Iterable[tuple[uuid.UUID, date]]) -> None:
    """A push checked clients in or out: one row for the whole batch, keyed by what it asks to check."""
    days = sorted({(c, d) for c, d in presences})
    if not days:
        return
    key = hashlib.sha256(repr(days).encode()).hexdigest()[:40]
    args = CheckIns([ClientDay(c, d) for c, d in days])
    await outbox.add(session, "day_activity.double_check_ins", f"check_ins:{key}", args)


async def double_check_ins(
    session: AsyncSession, changes: ChangeSet, days: list[tuple[uuid.UUID, date]] | None, since: date, now
) -> int:
    """Tasks for clients present (checked in or out) at two or more units on one day; returns new tasks."""
    present = or_(Attendance.checked_in_at.is_not(None), Attendance.checked_out_at.is_not(None))
    query = select(Attendance.client_id, Attendance.date).where(present)
    if days is not None:
        if not days:
            return 0
        clients, dates = sorted({c for c, _ in days}), sorted({d for _, d in days})
        query = query.where(Attendance.client_id.in_(clients), Attendance.date.in_(dates))
    else:
        query = query.where(Attendance.date >= since)
    doubles = (
        await session.execute(
            query.group_by(Attendance.client_id, Attendance.date).having(
                func.count(func.distinct(Attendance.unit_id)) > 1
            )
        )
    ).all()
    wanted = set(days) if days is not None else None
    created = 0
    for client_id, day in sorted(doubles):
        if wanted is not None and (client_id, day) not in wanted:
            continue
        rows = (
            await session.scalars(
                select(Attendance)
                .where(Attendance.client_id == client_id, Attendance.date == day, present)
                .order_by(Attendance.unit_id)
            )
        ).all()
        units = [r.unit_id for r in rows]
        for row in rows:
            new = NewTask(
                kind="double_check_in",
                role="unit_staff",
                about_type="attendance",
                about_id=str(row.id),
                key=(str(client_id), day.isoformat(), str(row.unit_id)),
                unit_id=row.unit_id,
                client_id=client_id,
                date=day,
                details={"other_unit_ids": [str(u) for u in units if u != row.unit_id]},
            )
            created += (await open_task(session, changes, new, now))[1]
    return created


@job(
    "day_activity.double_check_ins",
    args=CheckIns,
    retry=RetryPolicy(tries=5, backoff_seconds=10),
    timeout=120,
)
async def check_uploaded(session: AsyncSession, now: datetime, args: CheckIns) -> tuple[int, ChangeSet]:
    """Check what a push of check-ins may have caused; returns how many tasks were opened."""

    async def check(changes: ChangeSet) -> int:
        since = today_in_finland(now) - LOOK_BACK
        days = [(c.client_id, c.date) for c in args.check_ins]
        return await double_check_ins(session, changes, days, since, now)

    return await checked(session, check)


@job("day_activity.anomaly_scan", cron=Cron(hour=1, minute=30), retry=NIGHTLY_RETRY, timeout=600)
async def anomaly_scan(session: AsyncSession, now: datetime) -> tuple[int, ChangeSet]:
    """Every night: the double check-ins of the last 31 days (what an incremental check may have missed)."""

    async def check(changes: ChangeSet) -> int:
        return await double_check_ins(session, changes, None, today_in_finland(now) - LOOK_BACK, now)

    return await checked(session, check)
