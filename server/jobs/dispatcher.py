"""The dispatcher: turns due outbox rows into runs, at once after a commit that added work and on a sweep.

With Redis a run is an arq job whose id is `{queue}:outbox:{row}:{attempts}`: the same row and attempt is
one arq job however many dispatchers (web processes, workers, sweeps) enqueue it, because arq refuses a job
id it already holds. A row whose job Redis lost, or whose worker died, is still `pending` in the outbox:
the next sweep after its lease enqueues it again (a higher attempt, so a new id), so it is never lost.
Without Redis, `server.jobs.inprocess` hands the same rows to `runner.run_row` in the server's own loop.

arq's jobs are encoded with msgspec (MessagePack), never pickle; their arguments are only the row id and
attempt, the job's own arguments stay in the outbox row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import msgspec
from arq.connections import ArqRedis, RedisSettings, create_pool
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.db import utcnow
from server.jobs import outbox

log = logging.getLogger("kaari.jobs")

OUTBOX_FUNCTION = "outbox"
SWEEP_SECONDS = 1.0
# A row this dispatcher submitted is not submitted again for this long, unless its attempt changed: a job
# waiting in a busy queue costs no Redis round trip per sweep, and one Redis lost is re-created after it.
RESUBMIT_SECONDS = 30.0
Due = tuple[int, str, int]  # outbox row id, job, attempts so far


def _encode_other(value: Any) -> Any:
    # arq stores a failed job's exception as its result: keep its text.
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {value}"
    raise TypeError(f"cannot encode {type(value).__name__}")


serialize = msgspec.msgpack.Encoder(enc_hook=_encode_other).encode
deserialize = msgspec.msgpack.Decoder().decode


def arq_job_id(queue: str, row_id: int, attempts: int) -> str:
    return f"{queue}:outbox:{row_id}:{attempts}"


async def redis_pool(redis_url: str, queue: str) -> ArqRedis:
    return await create_pool(
        RedisSettings.from_dsn(redis_url),
        job_serializer=serialize,
        job_deserializer=deserialize,
        default_queue_name=queue,
    )


def arq_submitter(redis: ArqRedis, queue: str) -> Callable[[list[Due]], Awaitable[None]]:
    """Enqueue due rows as arq jobs with deterministic ids (a duplicate is refused by arq, harmlessly)."""

    async def submit(rows: list[Due]) -> None:
        for row_id, _job, attempts in rows:
            await redis.enqueue_job(
                OUTBOX_FUNCTION,
                row_id,
                attempts,
                _job_id=arq_job_id(queue, row_id, attempts),
                _queue_name=queue,
            )

    return submit


class Dispatcher:
    """Finds due rows and submits them: woken by `outbox.on_commit`, and every `interval` seconds."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        submit: Callable[[list[Due]], Awaitable[None]],
        *,
        clock: Callable[[], datetime] = utcnow,
        interval: float = SWEEP_SECONDS,
    ) -> None:
        self.sessions = sessions
        self.submit = submit
        self.clock = clock
        self.interval = interval
        self._sent: dict[tuple[int, int], float] = {}
        self._wake = asyncio.Event()
        self._event_loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None

    async def sweep(self) -> int:
        """Submit the due rows not submitted in the last `RESUBMIT_SECONDS`; returns how many."""
        async with self.sessions() as session:
            rows = await outbox.due(session, self.clock())
            await session.commit()
        now = time.monotonic()
        self._sent = {k: t for k, t in self._sent.items() if now - t < RESUBMIT_SECONDS}
        fresh = [row for row in rows if (row[0], row[2]) not in self._sent]
        if fresh:
            await self.submit(fresh)
            self._sent.update({(row_id, attempts): now for row_id, _, attempts in fresh})
        return len(fresh)

    def wake(self) -> None:
        # Commits may happen on another thread (a test client's, a sync tool's): hand the wake to our loop.
        if self._event_loop is not None and not self._event_loop.is_closed():
            self._event_loop.call_soon_threadsafe(self._wake.set)

    def start(self) -> None:
        self._event_loop = asyncio.get_running_loop()
        self._unsubscribe = outbox.on_commit(self.wake)
        self._task = asyncio.create_task(self._loop(), name="kaari-jobs-dispatcher")

    async def stop(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()
            try:
                await self.sweep()
            except Exception:  # the database or Redis is away: the next sweep tries again
                log.warning("outbox sweep failed", exc_info=True)
