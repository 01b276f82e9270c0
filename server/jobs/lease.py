"""One job runner among the server processes when there is no Redis (`kaari serve --workers N`).

A lease row (`job_runner_lease`) names the process that runs the jobs and until when. Every process tries
to take it every third of the lease time with one conditional UPDATE — "mine, or run out" — so the holder
renews it and the others take it over once it has run out: a holder killed with SIGKILL is replaced within
the lease time (15 s by default, `KAARI_JOBS_LEASE_SECONDS`); one that stops cleanly gives it up at once.
The UPDATE is serialised by the database (SQLite's write lock; PostgreSQL's row lock, which re-reads the
condition), so it works the same on both, with no clock but the processes' own (keep them in time: NTP).

Only the holder sweeps and runs the outbox and ticks the cron jobs; the others serve requests and write
outbox rows, which the holder's sweep finds within a second. A holder that cannot renew (the database
away) stops running jobs. Should two processes ever overlap (a holder stalled past its lease), the outbox
claims and the tick keys still keep each row to one effect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.db import begin_write, dialect_insert, utcnow
from server.jobs.models import RunnerLease

log = logging.getLogger("kaari.jobs")

NAME = "runner"


class Lease:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        seconds: float,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if not seconds > 0:
            raise ValueError(
                f"The job runner's lease must be longer than 0 s (KAARI_JOBS_LEASE_SECONDS), got {seconds!r}."
            )
        self.sessions = sessions
        self.seconds = seconds
        self.clock = clock
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    async def take(self) -> bool:
        """Take or renew the lease; whether this process holds it now."""
        now = self.clock()
        until = now + timedelta(seconds=self.seconds)
        async with self.sessions() as session:
            await begin_write(session)
            insert = dialect_insert(session, RunnerLease.__table__).values(
                name=NAME, holder=self.holder, expires_at=until
            )
            await session.execute(insert.on_conflict_do_nothing(index_elements=["name"]))
            taken = await session.execute(
                update(RunnerLease)
                .where(
                    RunnerLease.name == NAME,
                    or_(RunnerLease.holder == self.holder, RunnerLease.expires_at <= now),
                )
                .values(holder=self.holder, expires_at=until)
            )
            await session.commit()
        return taken.rowcount == 1

    async def release(self) -> None:
        """Give the lease up now (a clean stop): another process takes it at its next try."""
        async with self.sessions() as session:
            await begin_write(session)
            await session.execute(
                update(RunnerLease)
                .where(RunnerLease.name == NAME, RunnerLease.holder == self.holder)
                .values(expires_at=self.clock())
            )
            await session.commit()


class Leader:
    """Run `start` while this process holds the lease and `stop` when it loses it (or stops)."""

    def __init__(self, lease: Lease, start: Callable[[], None], stop: Callable[[], Awaitable[None]]) -> None:
        self.lease = lease
        self._start, self._stop = start, stop
        self.leading = False
        self.tries = 0  # takes tried (the admin view and the tests)
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def start(self) -> None:
        self._stopping = asyncio.Event()
        self._task = asyncio.create_task(self._loop(), name="kaari-jobs-lease")

    async def stop(self) -> None:
        if self._task:
            # Let a take under way finish rather than cancel it inside a database call; not for ever.
            self._stopping.set()
            await asyncio.wait({self._task}, timeout=self.lease.seconds)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.leading:
            self.leading = False
            await self._stop()
            with contextlib.suppress(Exception):  # not given up: it runs out on its own
                await self.lease.release()

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                held = await self.lease.take()
            except Exception:  # the database is away: stop running jobs; the lease runs out meanwhile
                log.warning("jobs: could not renew the runner lease", exc_info=True)
                held = False
            self.tries += 1
            if held and not self.leading:
                log.info("jobs: this process (%s) runs the jobs", self.lease.holder)
                self.leading = True
                self._start()
            elif not held and self.leading:
                log.warning(
                    "jobs: this process (%s) lost the runner lease; it stops running jobs", self.lease.holder
                )
                self.leading = False
                await self._stop()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.lease.seconds / 3)
