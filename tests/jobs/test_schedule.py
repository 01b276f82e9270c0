"""Schedules in Finnish time, one row per tick, arq's cron settings, and dispatch on commit."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from arq.cron import CronJob
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import async_sessionmaker

from server.app import create_app
from server.clock import FINLAND
from server.db import begin_write, create_engine
from server.jobs import outbox, registry
from server.jobs.dispatcher import Dispatcher, arq_job_id
from server.jobs.runner import JobRuntime, schedule
from server.worker import HEALTH_CHECK_SECONDS, worker_settings
from tests.conftest import bearer, sign_in
from tests.jobs.conftest import wait_for
from tests.jobs.sample_jobs import Note


@pytest.mark.parametrize(
    ("cron", "after", "expected"),
    [
        # Daily at 00:05 in Helsinki: 21:05 UTC in summer (UTC+3), 22:05 UTC in winter (UTC+2).
        (registry.Cron(hour=0, minute=5), datetime(2026, 7, 1, 12, tzinfo=UTC), datetime(2026, 7, 1, 21, 5)),
        (
            registry.Cron(hour=0, minute=5),
            datetime(2026, 1, 15, 12, tzinfo=UTC),
            datetime(2026, 1, 15, 22, 5),
        ),
        # Across the change to summer time (29 March 2026, 03:00 → 04:00 in Helsinki).
        (
            registry.Cron(hour=0, minute=5),
            datetime(2026, 3, 28, 23, tzinfo=UTC),
            datetime(2026, 3, 29, 21, 5),
        ),
        (registry.Cron(), datetime(2026, 7, 1, 10, 0, 30, tzinfo=UTC), datetime(2026, 7, 1, 10, 1)),
        (
            registry.Cron(hour=3, minute=30),
            datetime(2026, 7, 1, 0, 31, tzinfo=UTC),
            datetime(2026, 7, 2, 0, 30),
        ),
    ],
)
def test_the_next_tick_is_in_finnish_time(cron, after, expected):
    tick = cron.next_after(after)
    assert tick.tzinfo == FINLAND
    assert tick.astimezone(UTC).replace(tzinfo=None, microsecond=0) == expected


async def test_a_tick_is_one_row_however_often_it_is_scheduled(settings, db):
    engine = create_engine(settings)
    runtime = JobRuntime(async_sessionmaker(engine, expire_on_commit=False), pokes=None)  # type: ignore[arg-type]
    tick = datetime(2026, 7, 1, 21, 5, 0, 123456, tzinfo=UTC)
    for at in (tick, tick.replace(second=40), tick.replace(minute=6)):
        await schedule(runtime, "places.move_free_places_window", at)
        await schedule(runtime, "places.move_free_places_window", at)  # a second scheduler, or a restart
    await engine.dispose()
    rows = await outbox_rows(db)
    assert [r.key for r in rows] == ["cron:2026-07-02T00:05", "cron:2026-07-02T00:06"]


async def outbox_rows(db):
    from sqlalchemy import select

    from server.jobs.models import OutboxRow

    return list((await db.scalars(select(OutboxRow).order_by(OutboxRow.id))).all())


@pytest.mark.parametrize("backend", ["sqlite"])
def test_arq_cron_jobs_match_the_registry(settings):
    config = worker_settings(replace(settings, redis_url="redis://127.0.0.1:6379/0", jobs_queue="q1"))
    crons: list[CronJob] = config["cron_jobs"]
    scheduled = {spec.name: spec for spec in registry.scheduled()}
    assert {c.name for c in crons} == {f"q1:cron:{name}" for name in scheduled}, "named per queue"
    for job in crons:
        spec = scheduled[job.name.removeprefix("q1:cron:")]
        assert (job.hour, job.minute, job.second) == (spec.cron.hour, spec.cron.minute, 0)
        assert job.unique and job.run_at_startup == spec.cron.at_startup and job.max_tries == 1
    assert config["timezone"] == FINLAND
    assert config["health_check_interval"] == HEALTH_CHECK_SECONDS <= 15, "`arq --check` is meaningful"
    assert config["max_tries"] == 1 and config["functions"][0].max_tries == 1, "retries live in the outbox"
    assert arq_job_id("q1", 7, 2) == "q1:outbox:7:2"


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_worker_needs_redis(settings):
    with pytest.raises(RuntimeError, match="The job worker needs REDIS_URL"):
        worker_settings(settings)


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_commit_that_adds_work_wakes_the_dispatcher_at_once(settings, db):
    submitted: asyncio.Queue = asyncio.Queue()

    async def submit(rows):
        for row in rows:
            await submitted.put(row)

    dispatcher = Dispatcher(async_sessionmaker(db.bind, expire_on_commit=False), submit, interval=3600)
    dispatcher.start()
    try:
        await asyncio.sleep(0.1)  # the first sweep (nothing due) is done; the next one is an hour away
        await begin_write(db)
        await outbox.add(db, "jobs.prune_outbox", "now")
        await db.commit()
        _, job, attempts = await asyncio.wait_for(submitted.get(), 10)
        assert (job, attempts) == ("jobs.prune_outbox", 0)
        await begin_write(db)
        await outbox.add(db, "test.note", "other", Note("x"))
        await db.rollback()
        await asyncio.sleep(0.3)
        assert submitted.empty(), "a rollback wakes nobody, and a submitted row is not submitted again"
    finally:
        await dispatcher.stop()


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_with_redis_the_server_only_enqueues(demo, db, redis_url):
    queue = f"kaari-test:{uuid.uuid4().hex}"
    app = create_app(
        replace(demo, redis_url=redis_url, jobs_queue=queue, run_jobs=True), configure_logs=False
    )
    redis = Redis.from_url(redis_url)
    try:
        async with AsyncTestClient(app=app) as client:
            await begin_write(db)
            await outbox.add(db, "test.note", "a", Note("queued"))
            await db.commit()

            async def queued() -> list:
                return await redis.zrange(queue, 0, -1)

            [job_id] = await wait_for(queued, "the row in the arq queue")
            assert job_id.decode().startswith(f"{queue}:outbox:")
            await asyncio.sleep(1.5)  # a sweep or two later: still queued, not run by the server
            assert await redis.zcard(queue) == 1
            admin = await sign_in(client, "admin")
            report = (await client.get("/api/admin/jobs", headers=bearer(admin["access_token"]))).json()
            assert (report["mode"], report["queue_depth"], report["worker"]) == ("redis", 1, None)
            assert report["outbox"]["by_job"] == {"test.note": 1}
    finally:
        keys = [k async for k in redis.scan_iter(f"*{queue}*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
