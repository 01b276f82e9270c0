"""Running one outbox row: the same code under arq (`kaari worker`) and in the single-node server.

`run_row(runtime, row_id, attempt)`:

1. **Claim** (its own short transaction): attempt `attempt + 1` of a pending, due row; a delivery whose
   attempt is stale (the row is done, failed, or another run took it) is dropped here.
2. **Run** the body in a new session with `now`, under the job's timeout. The body leaves its (last)
   transaction open; the runner commits it with the row marked `done`, so the effect and the mark commit
   together or not at all. A body may commit earlier steps itself (a batch, stored notifications before
   they are sent): each such step must be idempotent, since a run cut short after it is run again in
   full. Every commit on the session (a `before_commit` hook) only succeeds while this run still holds
   the row (same attempt): a run that outlived its lease, and was replaced, has its commit refused and
   its effect rolled back. That is why the work is done exactly once in effect, even when arq or a sweep
   delivers a row twice or a worker dies half-way.
3. **Poke** the devices of the change set's `touched_scopes` after the commit; keep the result on the row.

A failure that retrying may cure (`is_transient`) moves `run_at` on by the job's back-off until its tries are
used up; any other failure (a bug, bad arguments, a timeout) fails the row at once with the error, for the
admin view. Retries live in the outbox, not in arq: they survive Redis, and both runners share them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import msgspec
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from server.db import begin_write, utcnow
from server.jobs import outbox, registry
from server.jobs.models import OutboxRow

if TYPE_CHECKING:  # the sync engine's pokes, handed in by the composition root
    from server.sync.pokes import Pokes

log = logging.getLogger("kaari.jobs")

# A run that never finished (its worker died) still counts as an attempt; these many extra attempts are
# allowed for such lost runs before the row is failed, so a job that kills its worker cannot loop forever.
LOST_RUNS_ALLOWED = 3
_RETRY_SQLSTATES = {"40001", "40P01", "55P03"}  # serialization failure, deadlock, lock not available


class RetryLater(Exception):
    """Raised by a job body for a passing failure (a service answering 503): retried per its policy, after
    `seconds` if given, else after the policy's back-off."""

    def __init__(self, reason: str, seconds: float | None = None) -> None:
        super().__init__(reason)
        self.seconds = seconds


class _RowLost(Exception):
    """The run's lease ran out and a later attempt took the row: this run's effect must not commit."""


@dataclass
class JobRuntime:
    """What a run needs, in either runner: sessions on the database, the pokes, and the clock."""

    sessions: async_sessionmaker[AsyncSession]
    pokes: Pokes
    clock: Callable[[], datetime] = utcnow


def is_transient(exc: BaseException) -> bool:
    """Whether trying again later may succeed: a lost or busy database, a deadlock, a network error."""
    if isinstance(exc, RetryLater | ConnectionError):
        return True
    if isinstance(exc, DBAPIError):
        sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        return isinstance(exc, OperationalError) or exc.connection_invalidated or sqlstate in _RETRY_SQLSTATES
    return False


async def run_row(runtime: JobRuntime, row_id: int, attempt: int) -> str:
    """Run attempt `attempt + 1` of outbox row `row_id`; returns done, skipped, retry or failed."""
    now = runtime.clock()
    async with runtime.sessions() as session:
        row = await outbox.claim(session, row_id, attempt, now)
        if row is None:
            return "skipped"
        spec = registry.registered().get(row.job)
        try:
            if spec is None:
                raise registry.InvalidJob(f"No job is registered as {row.job!r}.")
            if row.attempts > spec.retry.tries + LOST_RUNS_ALLOWED:
                raise registry.InvalidJob(f"Gave up after {row.attempts - 1} runs that did not finish.")
            args = spec.decode_args(row.args)
        except registry.InvalidJob as exc:
            log.error("job %s (outbox %s) cannot run: %s", row.job, row.id, exc)
            await outbox.fail(session, row, str(exc), now)
            return "failed"
    assert spec is not None
    try:
        async with runtime.sessions() as session:
            async with asyncio.timeout(spec.timeout):
                result, changes = await _run_body(session, spec, row, args, now)
    except _RowLost:
        log.warning("job %s (outbox %s) ran past its lease; its effect was rolled back", row.job, row.id)
        return "skipped"
    except asyncio.CancelledError:
        await asyncio.shield(_release(runtime, row))
        raise
    except Exception as exc:
        return await _failed(runtime, spec, row, exc)
    try:
        # After the commit: a device that pulls on the poke must find the change.
        if changes is not None and changes.touched_scopes:
            await runtime.pokes.publish(changes.touched_scopes, changes.last_version)
        async with runtime.sessions() as session:
            await outbox.set_result(session, row.id, _builtins(result))
    except Exception:  # the work is done and committed; devices still pull on their own interval
        log.warning("job %s (outbox %s): poke or result not recorded", row.job, row.id, exc_info=True)
    log.info("job %s (outbox %s, attempt %s) done: %s", row.job, row.id, row.attempts, result)
    return "done"


async def _run_body(
    session: AsyncSession, spec: registry.JobSpec, row: OutboxRow, args: Any, now: datetime
) -> tuple[Any, Any]:
    final = False

    def hold_or_mark(sync_session: Session) -> None:
        # Runs inside every commit of the session (SQLAlchemy's asyncio bridge lets a hook use the sync
        # session): a step the body commits is refused once the run has lost its row; the done mark goes
        # only into the last commit, ours, with the body's last transaction.
        statement = outbox.mark_done_statement(row, now) if final else outbox.hold_statement(row)
        if sync_session.execute(statement).rowcount != 1:
            raise _RowLost(row.id)

    event.listen(session.sync_session, "before_commit", hold_or_mark)
    try:
        result, changes = await spec.body(session, now, *([args] if spec.args is not None else []))
        final = True
        if not session.in_transaction():
            await begin_write(session)
        await session.commit()
        return result, changes
    except BaseException:
        await session.rollback()
        raise
    finally:
        event.remove(session.sync_session, "before_commit", hold_or_mark)


async def _failed(runtime: JobRuntime, spec: registry.JobSpec, row: OutboxRow, exc: Exception) -> str:
    now = runtime.clock()
    if isinstance(exc, TimeoutError):
        error = f"Timed out after {spec.timeout:g} s."
    else:
        error = f"{type(exc).__name__}: {exc}"[:2000]
    async with runtime.sessions() as session:
        if is_transient(exc) and row.attempts < spec.retry.tries:
            delay = exc.seconds if isinstance(exc, RetryLater) and exc.seconds else None
            delay = delay or spec.retry.delay(row.attempts)
            log.warning("job %s (outbox %s) failed, retry in %.1f s: %s", row.job, row.id, delay, error)
            await outbox.retry_later(session, row, error, now + timedelta(seconds=delay))
            return "retry"
        log.error("job %s (outbox %s) failed: %s", row.job, row.id, error, exc_info=exc)
        await outbox.fail(session, row, error, now)
        return "failed"


async def _release(runtime: JobRuntime, row: OutboxRow) -> None:
    """A run cancelled by a shutdown gives its row back at once instead of waiting out the lease."""
    try:
        async with runtime.sessions() as session:
            await outbox.release(session, row)
    except Exception:
        log.warning(
            "job %s (outbox %s): could not release the row; it runs again after its lease", row.job, row.id
        )


def _builtins(result: Any) -> Any:
    try:
        return msgspec.to_builtins(result)
    except TypeError:
        return repr(result)


async def schedule(runtime: JobRuntime, job: str, tick: datetime) -> None:
    """A scheduled job's tick becomes an outbox row (committed; the dispatchers are woken)."""
    async with runtime.sessions() as session:
        await begin_write(session)
        await outbox.add_tick(session, job, tick)
        await session.commit()
