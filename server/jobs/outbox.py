"""The outbox: what other domains call to ask for follow-up work, and the row changes the runners make.

Call `add` inside the transaction of the change that needs the follow-up; the row commits or rolls back
with it, so work is never asked for by a change that did not happen, nor lost after one that did:

    await outbox.add(session, "places.recompute_unit", str(unit.id), UnitArgs(unit.id))

De-duplication by `key`: a key names one piece of work of a job (e.g. the unit to recompute). While a row
for the same job and key is still waiting for its run, adding again does not add a row: it replaces the
waiting row's arguments and run time (the latest call describes the work). Once a run has claimed the row,
an add makes a new row, because that run may have read the data before the new change committed.

After a commit that added rows, the process's dispatchers are woken (`on_commit`), so the work starts at
once instead of at the next sweep.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import Update, and_, event, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from server.clock import FINLAND
from server.db import begin_write, dialect_insert, utcnow
from server.jobs import registry
from server.jobs.models import OutboxRow

MAX_KEY_LENGTH = 200
_ADDED = "kaari.outbox_added"
_wakers: set[Callable[[], None]] = set()


async def add(
    session: AsyncSession,
    job: str,
    key: str,
    args: msgspec.Struct | None = None,
    *,
    run_at: datetime | None = None,
) -> None:
    """Ask for a run of `job` with `args`, at `run_at` or as soon as possible, in the caller's transaction.

    Raises `registry.InvalidJob` if the job is not registered, the arguments are not its Struct (or do not
    validate), or the key is empty or longer than 200 characters.
    """
    spec = registry.get(job)
    if not key or len(key) > MAX_KEY_LENGTH:
        raise registry.InvalidJob(f"Job {job!r}: the key must be 1-{MAX_KEY_LENGTH} characters.")
    if run_at is not None and run_at.tzinfo is None:
        raise registry.InvalidJob(f"Job {job!r}: run_at must be timezone-aware.")
    data = spec.encode_args(args)
    now = utcnow()
    insert = dialect_insert(session, OutboxRow.__table__).values(
        job=job,
        key=key,
        waiting_key=key,
        args=data,
        status="pending",
        run_at=run_at or now,
        attempts=0,
        created_at=now,
    )
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=["job", "waiting_key"],
            set_={"args": insert.excluded.args, "run_at": insert.excluded.run_at},
        )
    )
    session.sync_session.info[_ADDED] = True


async def add_tick(session: AsyncSession, job: str, tick: datetime) -> None:
    """Ask for the run of a scheduled job at `tick`, unless that tick already has a row (a second
    scheduler, or a restart within the same minute)."""
    key = f"cron:{tick.astimezone(FINLAND):%Y-%m-%dT%H:%M}"
    exists = await session.scalar(
        select(OutboxRow.id).where(OutboxRow.job == job, OutboxRow.key == key).limit(1)
    )
    if exists is None:
        await add(session, job, key)


# --- what the runners do to rows (server.jobs.runner, server.jobs.dispatcher) ------------------------------


def lease(spec: registry.JobSpec) -> timedelta:
    """How long a started run holds its row before the row is taken to be lost and dispatched again."""
    return timedelta(seconds=spec.timeout + LEASE_MARGIN_SECONDS)


LEASE_MARGIN_SECONDS = 5.0


async def due(session: AsyncSession, now: datetime, limit: int = 500) -> list[tuple[int, str, int]]:
    """Pending rows whose time has come and that no live run holds: (id, job, attempts), oldest first."""
    shortest = min((lease(s) for s in registry.registered().values()), default=timedelta(0))
    rows = (
        await session.execute(
            select(OutboxRow.id, OutboxRow.job, OutboxRow.attempts, OutboxRow.started_at)
            .where(
                OutboxRow.status == "pending",
                OutboxRow.run_at <= now,
                or_(OutboxRow.started_at.is_(None), OutboxRow.started_at <= now - shortest),
            )
            .order_by(OutboxRow.run_at, OutboxRow.id)
            .limit(limit)
        )
    ).all()
    specs = registry.registered()
    return [
        (row_id, job, attempts)
        for row_id, job, attempts, started_at in rows
        if started_at is None or job not in specs or started_at <= now - lease(specs[job])
    ]


async def claim(session: AsyncSession, row_id: int, attempt: int, now: datetime) -> OutboxRow | None:
    """Start run `attempt + 1` of a row (its own committed transaction): None if the row is done, failed,
    not yet due, or another run already started attempt `attempt + 1` (a stale or duplicate delivery)."""
    await begin_write(session)
    claimed = await session.execute(
        update(OutboxRow)
        .where(
            OutboxRow.id == row_id,
            OutboxRow.status == "pending",
            OutboxRow.attempts == attempt,
            OutboxRow.run_at <= now,
        )
        .values(attempts=attempt + 1, started_at=now, waiting_key=None)
    )
    if claimed.rowcount != 1:
        await session.rollback()
        return None
    row = await session.get_one(OutboxRow, row_id, populate_existing=True)
    await session.commit()  # and no transaction left open: the run begins its own write transaction
    return row


def _held(row: OutboxRow) -> Any:
    """The row, while the run that claimed it (its attempt) still holds it."""
    return and_(OutboxRow.id == row.id, OutboxRow.status == "pending", OutboxRow.attempts == row.attempts)


def mark_done_statement(row: OutboxRow, now: datetime) -> Update:
    """Run inside the run's own transaction, with its effect: matches no row if the run lost the row (its
    lease ran out and a later attempt took it over, which a slow run must not overtake)."""
    return update(OutboxRow).where(_held(row)).values(status="done", finished_at=now, error=None)


def hold_statement(row: OutboxRow) -> Update:
    """Run inside each step a body commits: matches no row if the run lost the row (changes nothing)."""
    return update(OutboxRow).where(_held(row)).values(attempts=OutboxRow.attempts)


async def set_result(session: AsyncSession, row_id: int, result: Any) -> None:
    await begin_write(session)
    await session.execute(update(OutboxRow).where(OutboxRow.id == row_id).values(result=result))
    await session.commit()


async def retry_later(session: AsyncSession, row: OutboxRow, error: str, run_at: datetime) -> None:
    await _finish(session, row, error=error, run_at=run_at, started_at=None)


async def fail(session: AsyncSession, row: OutboxRow, error: str, now: datetime) -> None:
    await _finish(session, row, error=error, status="failed", finished_at=now)


async def release(session: AsyncSession, row: OutboxRow) -> None:
    await _finish(session, row, started_at=None)


async def _finish(session: AsyncSession, row: OutboxRow, **values: Any) -> None:
    await begin_write(session)
    await session.execute(update(OutboxRow).where(_held(row)).values(**values))
    await session.commit()


# --- waking the dispatchers after a commit that added work ------------------------------------------------


def on_commit(waker: Callable[[], None]) -> Callable[[], None]:
    """Call `waker` after every commit (in this process) that added outbox rows; returns the unsubscribe."""
    _wakers.add(waker)
    return lambda: _wakers.discard(waker)


def _after_commit(sync_session: Session) -> None:
    # SQLAlchemy calls this (and `_after_rollback`) for savepoints too, and every mutation of a push runs in
    # one: the rows are not committed then, and waking (or forgetting) now would lose the wake-up.
    if sync_session.in_nested_transaction():
        return
    if sync_session.info.pop(_ADDED, False):
        for waker in list(_wakers):
            waker()


def _after_rollback(sync_session: Session, *_: Any) -> None:
    if sync_session.in_nested_transaction():
        return
    sync_session.info.pop(_ADDED, None)


event.listen(Session, "after_commit", _after_commit)
event.listen(Session, "after_rollback", _after_rollback)
