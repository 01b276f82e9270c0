"""The arq worker (`kaari worker`, or `arq server.worker.WorkerSettings`): runs the jobs beside the server.

One arq function, `outbox`, runs an outbox row through `runner.run_row` (the same code the single-node
server runs in-process). Each scheduled job is an arq cron job (Finnish time, `unique`, so several workers
schedule a tick once) whose only work is to add the tick's outbox row; the run itself goes through the
outbox like any other work, with its retries and its exactly-once mark. A dispatcher in the worker sweeps
the outbox every second, so rows whose arq job was lost (Redis restarted empty, a worker killed) are
enqueued again.

arq never retries on its own here (`max_tries=1`): retries live in the outbox. The health check key is
refreshed every `HEALTH_CHECK_SECONDS`, so `arq server.worker.WorkerSettings --check` (exit 0 or 1)
tells within that time whether a worker is alive on this queue.
"""

from __future__ import annotations

from typing import Any

from arq import cron, func
from arq.connections import RedisSettings
from sqlalchemy.ext.asyncio import async_sessionmaker

from notifications import runtime as push_runtime
from server import domains
from server.clock import FINLAND
from server.db import create_engine, utcnow
from server.jobs import outbox, registry
from server.jobs.dispatcher import OUTBOX_FUNCTION, Dispatcher, arq_submitter, deserialize, serialize
from server.jobs.runner import JobRuntime, run_row, schedule
from server.settings import Settings
from server.sync.pokes import Pokes, channels_plugin

HEALTH_CHECK_SECONDS = 10
# On SIGTERM the worker stops taking jobs and waits this long for running ones before cancelling them.
SHUTDOWN_GRACE_SECONDS = 25


async def startup(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx["settings"]
    engine = create_engine(settings)
    # Pokes go through Redis pub/sub, so devices connected to any web process hear them.
    channels = channels_plugin(settings)
    await channels.__aenter__()
    runtime = JobRuntime(async_sessionmaker(engine, expire_on_commit=False), Pokes(channels))
    dispatcher = Dispatcher(runtime.sessions, arq_submitter(ctx["redis"], settings.jobs_queue))
    dispatcher.start()
    ctx.update(kaari=runtime, kaari_engine=engine, kaari_channels=channels, kaari_dispatcher=dispatcher)


async def shutdown(ctx: dict[str, Any]) -> None:
    if "kaari" not in ctx:
        return
    await ctx["kaari_dispatcher"].stop()
    await ctx["kaari_channels"].__aexit__(None, None, None)
    await ctx["kaari_engine"].dispose()
    await push_runtime.close()  # the push sender's HTTP client, if a notification job made one


async def run_outbox(ctx: dict[str, Any], row_id: int, attempt: int) -> str:
    return await run_row(ctx["kaari"], row_id, attempt)


def _tick(job: str) -> Any:
    async def tick(ctx: dict[str, Any]) -> None:
        await schedule(ctx["kaari"], job, utcnow())

    tick.__qualname__ = f"tick[{job}]"
    return tick


def worker_settings(settings: Settings) -> dict[str, Any]:
    """arq `Worker` arguments for this deployment (arq takes a mapping as its settings)."""
    if not settings.redis_url:
        raise RuntimeError(
            "The job worker needs REDIS_URL. Without Redis, `kaari serve` runs the jobs itself."
        )
    domains.load()  # the domains' declared job modules fill the registry
    jobs = registry.registered()
    longest = max(spec.timeout for spec in jobs.values()) + 2 * outbox.LEASE_MARGIN_SECONDS
    queue = settings.jobs_queue
    return {
        "functions": [func(run_outbox, name=OUTBOX_FUNCTION, max_tries=1, timeout=longest)],
        "cron_jobs": [
            cron(
                _tick(spec.name),
                name=f"{queue}:cron:{spec.name}",  # also arq's job id prefix: one per queue
                run_at_startup=spec.cron.at_startup,
                unique=True,
                timeout=30,
                max_tries=1,
                **spec.cron.fields(),
            )
            for spec in jobs.values()
            if spec.cron is not None
        ],
        "queue_name": queue,
        "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        "job_serializer": serialize,
        "job_deserializer": deserialize,
        "on_startup": startup,
        "on_shutdown": shutdown,
        "ctx": {"settings": settings},
        "timezone": FINLAND,
        "max_tries": 1,
        "keep_result": 0,  # the outbox row is the record of a run
        "health_check_interval": HEALTH_CHECK_SECONDS,
        "job_completion_wait": SHUTDOWN_GRACE_SECONDS,
    }


def __getattr__(name: str) -> Any:
    # `arq server.worker.WorkerSettings [--check]` reads this; built from the environment on use, so
    # importing the module needs no REDIS_URL.
    if name == "WorkerSettings":
        return worker_settings(Settings.from_env())
    raise AttributeError(name)
