"""The admin view of the jobs (`GET /api/admin/jobs`), read from the outbox and the queue.

- `queue_depth`: arq jobs waiting in Redis (with `REDIS_URL`), or runs waiting for a slot in-process;
- `worker`: the arq worker's last health report (None: no worker has reported on this queue lately);
- `running`: runs under way (started, within their lease);
- `retrying`: rows that failed for a passing reason and wait for their next try, with the error;
- `failed`: rows that failed for good (kept 30 days), newest first, at most `FAILED_SHOWN`, with their errors;
- `scheduled`: every scheduled job with its schedule, next tick, last run and last success;
- `outbox`: the backlog: rows pending, due now, and the age of the oldest pending one.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.jobs import outbox, registry
from server.jobs.models import OutboxRow

FAILED_SHOWN = 50


class Run(msgspec.Struct, kw_only=True):
    id: int
    job: str
    key: str
    status: str
    attempts: int
    run_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None


class ScheduledJob(msgspec.Struct, kw_only=True):
    job: str
    schedule: str
    next_run: datetime
    last_run: Run | None
    last_success_at: datetime | None


class Backlog(msgspec.Struct, kw_only=True):
    pending: int
    due: int
    oldest_pending_seconds: float | None
    by_job: dict[str, int]


class JobsReport(msgspec.Struct, kw_only=True):
    mode: str  # "redis" (kaari worker runs the jobs), "in-process" (kaari serve does), "off"
    queue_depth: int | None
    worker: str | None
    running: list[Run]
    retrying: list[Run]
    failed: list[Run]
    failed_total: int
    scheduled: list[ScheduledJob]
    outbox: Backlog


def describe(cron: registry.Cron) -> str:
    fields = {k: v for k, v in cron.fields().items() if v is not None and k != "second"}
    if not fields:
        return "every minute"
    minutes = fields.get("minute")
    if (
        set(fields) == {"minute"}
        and isinstance(minutes, set)
        and minutes == set(range(0, 60, 60 // len(minutes)))
    ):
        return f"every {60 // len(minutes)} minutes"
    if set(fields) == {"hour", "minute"} and all(isinstance(v, int) for v in fields.values()):
        return f"daily at {fields['hour']:02d}:{fields['minute']:02d} (Finnish time)"
    return " ".join(f"{k}={v}" for k, v in fields.items()) + " (Finnish time)"


def _run(row: OutboxRow) -> Run:
    return msgspec.convert(row, Run, from_attributes=True)


async def jobs_report(
    session: AsyncSession, now: datetime, mode: str, queue_depth: int | None, worker: str | None
) -> JobsReport:
    specs = registry.registered()
    pending = OutboxRow.status == "pending"
    # Started rows are the runs under way, plus runs lost with their worker (due again after the lease).
    started = (
        await session.scalars(select(OutboxRow).where(pending, OutboxRow.started_at.is_not(None)))
    ).all()
    running = [
        row
        for row in started
        if row.job in specs and row.started_at > now - outbox.lease(specs[row.job])  # type: ignore[operator]
    ]
    retrying = await session.scalars(
        select(OutboxRow)
        .where(pending, OutboxRow.started_at.is_(None), OutboxRow.error.is_not(None))
        .order_by(OutboxRow.run_at, OutboxRow.id)
        .limit(FAILED_SHOWN)
    )
    failed = await session.scalars(
        select(OutboxRow)
        .where(OutboxRow.status == "failed")
        .order_by(OutboxRow.finished_at.desc(), OutboxRow.id.desc())
        .limit(FAILED_SHOWN)
    )
    failed_total = await session.scalar(
        select(func.count()).select_from(OutboxRow).where(OutboxRow.status == "failed")
    )
    by_job = dict(
        (
            await session.execute(select(OutboxRow.job, func.count()).where(pending).group_by(OutboxRow.job))
        ).all()
    )
    oldest = await session.scalar(select(func.min(OutboxRow.created_at)).where(pending))
    waiting = await session.scalar(
        select(func.count())
        .select_from(OutboxRow)
        .where(pending, OutboxRow.started_at.is_(None), OutboxRow.run_at <= now)
    )
    scheduled = []
    for spec in specs.values():
        if spec.cron is None:
            continue
        last = await session.scalar(
            select(OutboxRow)
            .where(OutboxRow.job == spec.name, OutboxRow.started_at.is_not(None))
            .order_by(OutboxRow.started_at.desc(), OutboxRow.id.desc())
            .limit(1)
        )
        last_success_at = await session.scalar(
            select(func.max(OutboxRow.finished_at)).where(
                OutboxRow.job == spec.name, OutboxRow.status == "done"
            )
        )
        scheduled.append(
            ScheduledJob(
                job=spec.name,
                schedule=describe(spec.cron),
                next_run=spec.cron.next_after(now),
                last_run=_run(last) if last else None,
                last_success_at=last_success_at,
            )
        )
    return JobsReport(
        mode=mode,
        queue_depth=queue_depth,
        worker=worker,
        running=[_run(row) for row in running],
        retrying=[_run(row) for row in retrying],
        failed=[_run(row) for row in failed],
        failed_total=failed_total or 0,
        scheduled=scheduled,
        outbox=Backlog(
            pending=sum(by_job.values()),
            due=(waiting or 0) + len(started) - len(running),
            oldest_pending_seconds=(now - oldest).total_seconds() if oldest else None,
            by_job=dict(sorted(by_job.items())),
        ),
    )
