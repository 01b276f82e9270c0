"""Both runners of the same jobs, driven by hand: `jobs.drain()` runs everything due until nothing is.

`mode` "redis": a dispatcher enqueues due rows into a queue of this test's own on the real Redis, and a
burst-mode arq `Worker(..., burst=True, poll_delay=0)` built from `worker_settings` (the production
functions and serializer) runs them. `mode` "in-process": the single-node runner does. Both share a clock
the test can move on (back-offs, leases, expiry) and a pokes channel the test can listen to.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from arq.worker import Worker
from litestar.channels import ChannelsPlugin
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from server.db import create_engine
from server.jobs.dispatcher import Dispatcher, arq_submitter, redis_pool
from server.jobs.inprocess import InProcessRunner
from server.jobs.models import OutboxRow
from server.jobs.runner import JobRuntime
from server.settings import Settings
from server.sync.pokes import Pokes, channels_plugin, scope_channel
from server.worker import worker_settings
from tests.jobs import sample_jobs


class Clock:
    """Now, plus however far the test has moved it on."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


@dataclass
class Jobs:
    mode: str
    settings: Settings
    runtime: JobRuntime
    clock: Clock
    channels: ChannelsPlugin
    dispatcher: Dispatcher
    runner: InProcessRunner | None = None
    redis: Any = None

    async def drain(self, rounds: int = 30) -> None:
        """Dispatch and run until a sweep finds nothing due (a retry that is not due yet stays)."""
        for _ in range(rounds):
            if await self.dispatcher.sweep() == 0:
                return
            if self.runner is not None:
                await asyncio.gather(*list(self.runner._runs.values()), return_exceptions=True)
            else:
                await self.burst_worker()
        raise AssertionError(f"still dispatching after {rounds} rounds")

    async def burst_worker(self) -> Worker:
        runtime = self.runtime

        async def startup(ctx: dict[str, Any]) -> None:
            ctx["kaari"] = runtime

        worker = Worker(
            **{
                **worker_settings(self.settings),
                "cron_jobs": [],
                "on_startup": startup,
                "on_shutdown": None,
                "burst": True,
                "poll_delay": 0,
                "handle_signals": False,
            }
        )
        try:
            await worker.async_run()
        finally:
            await worker.close()
        return worker

    @contextlib.asynccontextmanager
    async def pokes(self, scope: str) -> AsyncIterator[asyncio.Queue[bytes]]:
        """Pokes published on `scope`'s channel while the block runs."""
        subscriber = await self.channels.subscribe([scope_channel(scope)])
        received: asyncio.Queue[bytes] = asyncio.Queue()

        async def read() -> None:
            async for event in subscriber.iter_events():
                await received.put(event)

        task = asyncio.create_task(read())
        try:
            yield received
        finally:
            task.cancel()
            await self.channels.unsubscribe(subscriber)

    async def rows(self) -> list[OutboxRow]:
        async with self.runtime.sessions() as session:
            return list((await session.scalars(select(OutboxRow).order_by(OutboxRow.id))).all())

    async def notes(self, text: str | None = None) -> int:
        async with self.runtime.sessions() as session:
            query = select(func.count()).select_from(sample_jobs.notes)
            if text is not None:
                query = query.where(sample_jobs.notes.c.text == text)
            return await session.scalar(query)


KILL_TEST = "test_kill_9_mid_job_then_restart_does_the_work_exactly_once"
KILL_PAIRS_BY_DEFAULT = ("postgres-worker", "sqlite-serve")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The kill -9 test runs for the worker on PostgreSQL and the single-node server on SQLite; with
    `--long` also for the other two pairs."""
    if config.getoption("--long"):
        return
    later = [
        item
        for item in items
        if item.name.startswith(KILL_TEST)
        and not item.name.endswith(tuple(f"[{p}]" for p in KILL_PAIRS_BY_DEFAULT))
    ]
    if later:
        config.hook.pytest_deselected(items=later)
        items[:] = [item for item in items if item not in later]


@pytest.fixture(params=["in-process", "redis"])
def mode(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def jobs(mode: str, settings: Settings, request: pytest.FixtureRequest) -> AsyncIterator[Jobs]:
    if mode == "redis":
        queue = f"kaari-test:{uuid.uuid4().hex}"
        settings = replace(settings, redis_url=request.getfixturevalue("redis_url"), jobs_queue=queue)
    engine = create_engine(settings)
    async with engine.begin() as conn:
        await conn.run_sync(sample_jobs.metadata.create_all)
    sample_jobs.tries.clear()
    sample_jobs.writing.clear()
    clock = Clock()
    async with channels_plugin(settings) as channels:
        runtime = JobRuntime(async_sessionmaker(engine, expire_on_commit=False), Pokes(channels), clock)
        if mode == "redis":
            redis = await redis_pool(settings.redis_url, settings.jobs_queue)
            dispatcher = Dispatcher(runtime.sessions, arq_submitter(redis, queue), clock=clock)
            harness = Jobs(mode, settings, runtime, clock, channels, dispatcher, redis=redis)
        else:
            runner = InProcessRunner(runtime)
            harness = Jobs(mode, settings, runtime, clock, channels, runner.dispatcher, runner=runner)
        try:
            yield harness
        finally:
            if harness.redis is not None:
                keys = [k async for k in harness.redis.scan_iter(f"*{settings.jobs_queue}*")]
                if keys:
                    await harness.redis.delete(*keys)
                await harness.redis.aclose()
    await engine.dispose()


async def wait_for(check: Any, what: str, seconds: float = 30.0, every: float = 0.1) -> Any:
    """Poll `check()` (async) until it returns something truthy; fail after `seconds`."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {seconds:g} s waiting for {what}")
        await asyncio.sleep(every)
