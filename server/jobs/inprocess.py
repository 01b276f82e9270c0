"""The single-node runner (`kaari serve` without `REDIS_URL`): the jobs run in the server's event loop.

The very same `runner.run_row` as under arq, fed by the same `Dispatcher` (woken by commits that add
rows, and sweeping every second for retries, `run_at` and lost runs), a few at a time; and the scheduled
jobs' ticks, computed with arq's own cron arithmetic in Finnish time, become outbox rows like any other
work. Among several server processes only the holder of the runner lease runs it (`server.jobs.lease`).
Stopping cancels the running jobs: their transactions roll back and their rows are released, so the
next start runs them again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from server.jobs import registry
from server.jobs.dispatcher import SWEEP_SECONDS, Dispatcher, Due
from server.jobs.runner import JobRuntime, run_row, schedule

log = logging.getLogger("kaari.jobs")


class InProcessRunner:
    def __init__(self, runtime: JobRuntime, *, concurrency: int = 4, interval: float = SWEEP_SECONDS) -> None:
        self.runtime = runtime
        self.dispatcher = Dispatcher(runtime.sessions, self.submit, clock=runtime.clock, interval=interval)
        self._slots = asyncio.Semaphore(concurrency)
        self._runs: dict[tuple[int, int], asyncio.Task[None]] = {}
        self._waiting = 0
        self._cron: asyncio.Task[None] | None = None

    @property
    def depth(self) -> int:
        """Runs handed over and waiting for a free slot (the in-process queue)."""
        return self._waiting

    async def submit(self, rows: list[Due]) -> None:
        for row_id, _job, attempts in rows:
            key = (row_id, attempts)
            if key not in self._runs:
                self._waiting += 1
                self._runs[key] = asyncio.create_task(self._run(key), name=f"kaari-job-{row_id}")

    async def _run(self, key: tuple[int, int]) -> None:
        try:
            async with self._slots:
                self._waiting -= 1
                await run_row(self.runtime, *key)
        except Exception:
            log.exception("outbox row %s could not be run; it is tried again after its lease", key[0])
        finally:
            self._runs.pop(key, None)
            self.dispatcher.wake()  # a retry, or work the job added, may be due

    def start(self) -> None:
        self.dispatcher.start()
        self._cron = asyncio.create_task(self._schedule(), name="kaari-jobs-cron")

    async def stop(self) -> None:
        await self.dispatcher.stop()
        tasks = [t for t in (self._cron, *self._runs.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _schedule(self) -> None:
        """Turn each scheduled job's ticks into outbox rows, for ever."""
        specs = registry.scheduled()
        now = self.runtime.clock()
        ticks: dict[str, datetime] = {}
        for spec in specs:
            assert spec.cron is not None
            if spec.cron.at_startup:
                await self._tick(spec.name, now)
            ticks[spec.name] = spec.cron.next_after(now)
        while ticks:
            name, at = min(ticks.items(), key=lambda item: item[1])
            await asyncio.sleep(max((at - self.runtime.clock()).total_seconds(), 0))
            await self._tick(name, at)
            cron = registry.get(name).cron
            assert cron is not None
            # From now, not from the tick: after a stall (a suspended host) one catch-up run, not one a minute.
            ticks[name] = cron.next_after(max(at, self.runtime.clock()))

    async def _tick(self, name: str, at: datetime) -> None:
        try:
            await schedule(self.runtime, name, at)
        except Exception:
            log.warning("could not schedule %s at %s", name, at, exc_info=True)
