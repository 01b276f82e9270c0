"""Sync activity over time, for the admin's chart: mutations received per hour by outcome.

`GET /api/admin/sync-health/history?hours=24` (1-168). Each hour of the window (UTC, oldest first, every
hour present, empty ones as zeros) has the mutations received by push that were `applied`, `rejected` or
in `conflict`, and how many devices pushed. Counted in SQL, grouped by the hour, so the answer is at most
168 rows whatever the traffic. Pulls are not counted: a pull leaves no row, only the replica's last pull
time, which the current view (`server.sync.health`) shows per device.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from server.db import utcnow
from server.sync.models import Replica, SyncMutation

MAX_HOURS = 7 * 24
HOUR_FORMAT = "%Y-%m-%dT%H"


class ActivityHour(msgspec.Struct, kw_only=True):
    hour: datetime
    """Start of the hour (UTC)."""
    applied: int = 0
    rejected: int = 0
    conflicts: int = 0
    devices: int = 0
    """Devices that pushed in this hour."""


class SyncActivity(msgspec.Struct, kw_only=True):
    generated_at: datetime
    hours: list[ActivityHour]


def _hour_of(session: AsyncSession, column: ColumnElement) -> ColumnElement[str]:
    """The UTC hour of a timestamp as text 'YYYY-MM-DDTHH', in the database's own dialect."""
    if session.get_bind().dialect.name == "sqlite":
        return func.strftime(HOUR_FORMAT, column)
    return func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24')


async def sync_activity(session: AsyncSession, hours: int, now: datetime | None = None) -> SyncActivity:
    """Mutations per hour and outcome for the last `hours` hours (this hour included)."""
    now = now or utcnow()
    first = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    window = [first + timedelta(hours=n) for n in range(hours)]
    by_hour = {h.strftime(HOUR_FORMAT): ActivityHour(hour=h) for h in window}
    hour = _hour_of(session, SyncMutation.received_at).label("hour")
    outcomes = await session.execute(
        select(hour, SyncMutation.status, func.count())
        .where(SyncMutation.received_at >= first)
        .group_by(hour, SyncMutation.status)
    )
    for key, status, count in outcomes.all():
        bucket = by_hour.get(key)
        field = {"applied": "applied", "rejected": "rejected", "conflict": "conflicts"}.get(status)
        if bucket is not None and field is not None:
            setattr(bucket, field, int(count))
    devices = await session.execute(
        select(hour, func.count(func.distinct(Replica.device_id)))
        .join(Replica, Replica.id == SyncMutation.replica_id)
        .where(SyncMutation.received_at >= first)
        .group_by(hour)
    )
    for key, count in devices.all():
        if key in by_hour:
            by_hour[key].devices = int(count)
    return SyncActivity(generated_at=now, hours=list(by_hour.values()))
