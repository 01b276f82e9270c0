"""The job layer's own upkeep: pruning finished outbox rows.

Done rows are kept 8 days (the admin view shows the last run of every scheduled job, daily and weekly
ones included) and failed rows 30 days (long enough for an admin to notice and act). Pending rows are
never pruned.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from server.db import begin_write
from server.jobs.models import OutboxRow
from server.jobs.registry import NIGHTLY_RETRY, Cron, job

KEEP_DONE = timedelta(days=8)
KEEP_FAILED = timedelta(days=30)


@job("jobs.prune_outbox", cron=Cron(hour=3, minute=30), retry=NIGHTLY_RETRY)
async def prune_outbox(session: AsyncSession, now: datetime) -> tuple[int, None]:
    """Delete done rows finished more than 8 days ago and failed ones more than 30; returns how many."""
    await begin_write(session)
    deleted = 0
    for status, keep in (("done", KEEP_DONE), ("failed", KEEP_FAILED)):
        result = await session.execute(
            delete(OutboxRow).where(OutboxRow.status == status, OutboxRow.finished_at < now - keep)
        )
        deleted += result.rowcount
    return deleted, None  # no synced record changes: nothing to poke
