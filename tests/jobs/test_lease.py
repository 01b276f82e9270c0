"""Without Redis, one server process runs the jobs (`server.jobs.lease`), on SQLite and PostgreSQL.

Two servers' job layers, each with its own engine on one database (as `kaari serve --workers 2`): only the
lease holder runs outbox rows and ticks the cron jobs, each row and tick once; the holder killed, the other
takes over within the lease time; and two real `kaari serve` processes, the holder killed with SIGKILL.
"""

from __future__ import annotations

import asyncio
import signal
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.db import begin_write, create_engine
from server.jobs import inprocess, outbox, registry
from server.jobs.lease import Lease
from server.jobs.models import OutboxRow, RunnerLease
from server.jobs.registry import Cron
from server.jobs.serving import ServerJobs
from tests.integration.servers import server_env
from tests.jobs import sample_jobs
from tests.jobs.conftest import Clock, wait_for
from tests.jobs.sample_jobs import Note
from tests.jobs.test_processes import process, stop

LEASE = 2.0
TICKING = "jobs.prune_outbox"  # harmless on a fresh database; ticked every minute and at start here


@pytest.fixture
def every_minute(monkeypatch):
    """The scheduler sees one job, every minute and at start; records which runtime scheduled which tick."""
    spec = replace(registry.get(TICKING), cron=Cron(at_startup=True))
    monkeypatch.setattr(registry, "scheduled", lambda: [spec])
    real_get = registry.get
    monkeypatch.setattr(registry, "get", lambda name: spec if name == TICKING else real_get(name))
    ticks: list[tuple[int, str]] = []
    schedule = inprocess.schedule

    async def recorded(runtime, job, tick):
        ticks.append((id(runtime), tick.isoformat()))
        await schedule(runtime, job, tick)

    monkeypatch.setattr(inprocess, "schedule", recorded)
    return ticks


@pytest.fixture
def ran(monkeypatch):
    """(runtime, row) of every run, whichever process ran it."""
    runs: list[tuple[int, int]] = []
    run_row = inprocess.run_row

    async def recorded(runtime, row_id, attempt):
        runs.append((id(runtime), row_id))
        return await run_row(runtime, row_id, attempt)

    monkeypatch.setattr(inprocess, "run_row", recorded)
    return runs


@pytest.fixture
async def servers(settings):
    """Two servers' job layers on one database, each with its own engine; started by the test."""
    clock = Clock()
    made: list[ServerJobs] = []
    engines = []
    for _ in range(2):
        engine = create_engine(settings)
        engines.append(engine)
        jobs = ServerJobs(
            replace(settings, jobs_lease_seconds=LEASE, run_jobs=True, redis_url=None), engine, pokes=None
        )  # type: ignore[arg-type]
        jobs.runtime.clock = clock
        made.append(jobs)
    async with engines[0].begin() as conn:
        await conn.run_sync(sample_jobs.metadata.create_all)
    sample_jobs.tries.clear()
    yield made, clock
    for jobs in made:
        await jobs.stop()
    for engine in engines:
        await engine.dispose()


async def add_notes(jobs: ServerJobs, texts: list[str]) -> None:
    async with jobs.runtime.sessions() as session:
        await begin_write(session)
        for text in texts:
            await outbox.add(session, "test.note", text, Note(text))
        await session.commit()


async def rows(jobs: ServerJobs, job: str) -> list[OutboxRow]:
    async with jobs.runtime.sessions() as session:
        query = select(OutboxRow).where(OutboxRow.job == job).order_by(OutboxRow.id)
        return list((await session.scalars(query)).all())


async def notes(jobs: ServerJobs) -> int:
    async with jobs.runtime.sessions() as session:
        return await session.scalar(select(func.count()).select_from(sample_jobs.notes))


def all_done(jobs: ServerJobs, job: str, count: int):
    async def check() -> list[OutboxRow] | None:
        found = await rows(jobs, job)
        return found if len(found) == count and all(r.status == "done" for r in found) else None

    return check


async def test_only_the_lease_holder_runs_rows_and_ticks_each_once(servers, every_minute, ran):
    (first, second), clock = servers
    now = clock()
    clock.offset = timedelta(seconds=58.5 - now.second - now.microsecond / 1e6)  # a minute's tick is near
    await first.start()
    await wait_for(_leading(first), "the first server to take the lease")
    await second.start()
    await wait_for(_tried(second), "the second server to try for the lease")

    # The start's tick, and the next minute's, a second and a half later.
    ticks = await wait_for(all_done(first, TICKING, 2), "two ticks to run", 20)
    assert len({r.key for r in ticks}) == 2 and all(r.attempts == 1 for r in ticks)
    await add_notes(second, [f"n{i}" for i in range(20)])  # written by the server that does not run jobs
    done = await wait_for(all_done(first, "test.note", 20), "every note to run", 20)

    assert await notes(first) == 20 and all(r.attempts == 1 for r in done), "each row once"
    assert {runtime for runtime, _ in ran} == {id(first.runtime)}, "only the holder ran rows"
    assert sorted(row for _, row in ran) == sorted(r.id for r in [*ticks, *done]), "each row once"
    assert {runtime for runtime, _ in every_minute} == {id(first.runtime)}, "only the holder ticked"
    assert len(every_minute) == len({tick for _, tick in every_minute}) == 2, "each tick once"
    assert first.leader.leading and not second.leader.leading


async def test_the_other_takes_over_within_the_lease_when_the_holder_dies(servers, every_minute, ran):
    (first, second), _ = servers
    await first.start()
    await wait_for(_leading(first), "the first server to take the lease")
    await second.start()
    await wait_for(_tried(second), "the second server to try for the lease")

    # As SIGKILL would: the holder stops renewing and running, and gives nothing up.
    first.leader._task.cancel()
    await first.runner.stop()
    died = asyncio.get_running_loop().time()
    await wait_for(_leading(second), "the second server to take over", LEASE * 3)
    took = asyncio.get_running_loop().time() - died
    assert took <= LEASE + LEASE / 3 + 1, f"took over after {took:.1f} s: within the lease and one try"

    await add_notes(first, ["after"])
    [note] = await wait_for(all_done(second, "test.note", 1), "the new holder to run the note", 20)
    assert [runtime for runtime, row in ran if row == note.id] == [id(second.runtime)]
    assert await notes(second) == 1


async def test_a_clean_stop_hands_the_lease_over_at_once(servers, every_minute):
    (first, second), _ = servers
    await first.start()
    await wait_for(_leading(first), "the first server to take the lease")
    await second.start()
    await first.stop()  # released: the other takes it at its next try, a third of the lease later
    await wait_for(_leading(second), "the second server to take over", LEASE / 3 + 1)


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_lease_must_be_positive(settings):
    with pytest.raises(ValueError, match="KAARI_JOBS_LEASE_SECONDS"):
        Lease(None, 0)  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_two_kaari_serve_processes_one_runs_jobs_and_the_other_takes_over_after_kill_9(
    settings, tmp_path
):
    engine = create_engine(settings)
    async with engine.begin() as conn:
        await conn.run_sync(sample_jobs.metadata.create_all)
    first = ServerJobs(settings, engine, pokes=None)  # type: ignore[arg-type]  # for its sessions only
    env = server_env(tmp_path, settings.database_url, KAARI_JOBS_LEASE_SECONDS="3")

    async def holder() -> str | None:
        async with first.runtime.sessions() as session:
            return await session.scalar(select(RunnerLease.holder))

    try:
        with (
            process(env, "serve", "--port", "0", log=tmp_path / "a.log") as a,
            process(env, "serve", "--port", "0", log=tmp_path / "b.log") as b,
        ):
            by_pid = {a.pid: a, b.pid: b}
            taken = await wait_for(holder, "a server to take the lease", 60)
            leader = by_pid[int(taken.split(":")[1])]
            other = b if leader is a else a
            await add_notes(first, ["before"])
            await wait_for(all_done(first, "test.note", 1), "the holder to run a note", 30)

            stop(leader, signal.SIGKILL)

            async def other_holds() -> bool:
                found = await holder()
                return found is not None and int(found.split(":")[1]) == other.pid

            await wait_for(other_holds, f"the other server to take over ({tmp_path})", 3 + 1 + 10)
            await add_notes(first, ["after"])
            await wait_for(all_done(first, "test.note", 2), "the new holder to run a note", 30)
            assert other.poll() is None
        assert await notes(first) == 2
    finally:
        await engine.dispose()


def _leading(jobs: ServerJobs):
    async def check() -> bool:
        return jobs.leader is not None and jobs.leader.leading

    return check


def _tried(jobs: ServerJobs):
    """Once the server has tried for the lease at least once."""

    async def check() -> bool:
        return jobs.leader is not None and jobs.leader.tries > 0

    return check
