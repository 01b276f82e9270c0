"""What `kaari serve` does about jobs, started and stopped with the app.

- `REDIS_URL` set: the server only enqueues. Its dispatcher turns the outbox rows its requests commit into
  arq jobs at once (and sweeps every second); `kaari worker` runs them.
- no `REDIS_URL` (single node, `make run`): the server runs the jobs itself (`inprocess.InProcessRunner`),
  in one process at a time: the holder of the runner lease (`lease.Leader`), with `--workers N` too.
- `KAARI_RUN_JOBS=0`: neither; rows wait for another process to dispatch them (tests use this).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from server.jobs.dispatcher import Dispatcher, arq_submitter, redis_pool
from server.jobs.inprocess import InProcessRunner
from server.jobs.lease import Leader, Lease
from server.jobs.runner import JobRuntime
from server.jobs.status import JobsReport, jobs_report
from server.settings import Settings

if TYPE_CHECKING:  # the sync engine's pokes, handed in by the composition root
    from server.sync.pokes import Pokes

log = logging.getLogger("kaari.jobs")


class ServerJobs:
    def __init__(self, settings: Settings, engine: AsyncEngine, pokes: Pokes) -> None:
        self.settings = settings
        self.runtime = JobRuntime(async_sessionmaker(engine, expire_on_commit=False), pokes)
        self.mode = "off" if not settings.run_jobs else "redis" if settings.redis_url else "in-process"
        self.redis: Any = None
        self.dispatcher: Dispatcher | None = None
        self.runner: InProcessRunner | None = None
        self.leader: Leader | None = None

    async def start(self) -> None:
        if self.mode == "redis":
            assert self.settings.redis_url
            self.redis = await redis_pool(self.settings.redis_url, self.settings.jobs_queue)
            submit = arq_submitter(self.redis, self.settings.jobs_queue)
            self.dispatcher = Dispatcher(self.runtime.sessions, submit)
            self.dispatcher.start()
        elif self.mode == "in-process":
            self.runner = InProcessRunner(self.runtime)
            lease = Lease(self.runtime.sessions, self.settings.jobs_lease_seconds, self.runtime.clock)
            self.leader = Leader(lease, self.runner.start, self.runner.stop)
            self.leader.start()

    async def stop(self) -> None:
        if self.dispatcher:
            await self.dispatcher.stop()
        if self.leader:
            await self.leader.stop()
        if self.redis is not None:
            await self.redis.aclose()

    async def report(self, session: AsyncSession, now: datetime) -> JobsReport:
        """The admin view (`server.jobs.status`) for this deployment."""
        depth, worker = await self.queue_state()
        return await jobs_report(session, now, self.mode, depth, worker)

    async def queue_state(self) -> tuple[int | None, str | None]:
        """(jobs waiting in the queue, the arq worker's last health report); None where not known."""
        if self.mode == "in-process" and self.runner:
            return self.runner.depth, "in-process"
        if not self.settings.redis_url:
            return None, None
        from redis.asyncio import Redis

        queue = self.settings.jobs_queue
        client = self.redis or Redis.from_url(self.settings.redis_url, socket_timeout=2)
        try:
            depth = await client.zcard(queue)
            health = await client.get(f"{queue}:health-check")
        except Exception:  # Redis is away: /readyz says so; the outbox figures still stand
            log.warning("jobs: Redis did not answer", exc_info=True)
            return None, None
        finally:
            if client is not self.redis:
                await client.aclose()
        return depth, health.decode() if health else None
