"""The real processes: `kaari worker` beside `kaari serve` on PostgreSQL and Redis, and kill -9 mid-job.

- A worker killed (SIGKILL) in the middle of a job, then started again: the outbox row is run again after
  its lease and its work is done exactly once. The same for the single-node server running jobs itself.
  The job's effect is deliberately not idempotent (`test.crash_note` appends a row), so a count of one shows
  it is the outbox that makes it once.
- The worker expires an offer and the web server's SSE clients get the poke (through Redis); the admin
  view and `arq server.worker.WorkerSettings --check` see the worker; it stops cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from server.db import begin_write, create_engine, utcnow
from server.jobs import outbox
from server.jobs.models import OutboxRow
from server.queue.models import Offer
from tests.conftest import bearer
from tests.integration.servers import REPO, ServerProcess, kaari, server_env
from tests.jobs import sample_jobs
from tests.jobs.conftest import wait_for
from tests.jobs.sample_jobs import Note
from tests.sync.test_events import next_poke, stream, tablet, ticket_for

# The CLI with the test jobs registered: the very `kaari` entry point, plus one import.
WITH_TEST_JOBS = "import tests.jobs.sample_jobs; from server.cli import main; main()"


@contextlib.contextmanager
def process(env: dict[str, str], *args: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`kaari ARGS` (with the test jobs) in its own process group; terminated at the end if still alive."""
    with open(log, "ab") as output:
        proc = subprocess.Popen(
            [sys.executable, "-c", WITH_TEST_JOBS, *args],
            env=env,
            cwd=REPO,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture
async def sessions(settings):
    engine = create_engine(settings)
    async with engine.begin() as conn:
        await conn.run_sync(sample_jobs.metadata.create_all)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


@pytest.mark.parametrize("runner", ["worker", "serve"])
async def test_kill_9_mid_job_then_restart_does_the_work_exactly_once(
    runner, backend, settings, sessions, tmp_path, request
):
    env = server_env(tmp_path, settings.database_url)
    if runner == "worker":
        env.update(
            REDIS_URL=request.getfixturevalue("redis_url"), KAARI_JOBS_QUEUE=f"kaari-test:{uuid.uuid4().hex}"
        )
        args: tuple[str, ...] = ("worker",)
    else:
        args = ("serve", "--port", "0")
    hang = tmp_path / "hang"
    hang.write_text("hang until killed")
    text = f"hang-once:{hang}"

    async def add() -> None:
        async with sessions() as session:
            await begin_write(session)
            await outbox.add(session, "test.crash_note", "once", Note(text))
            await session.commit()

    async def row() -> OutboxRow:
        async with sessions() as session:
            return await session.scalar(select(OutboxRow).where(OutboxRow.job == "test.crash_note"))

    async def notes() -> int:
        async with sessions() as session:
            return await session.scalar(select(func.count()).select_from(sample_jobs.notes))

    await add()
    log = tmp_path / f"{runner}.log"
    with process(env, *args, log=log) as proc:
        await wait_for(_exists(Path(f"{hang}.started")), f"the job to start ({log})")
        stop(proc, signal.SIGKILL)  # mid-job: its note is written, its transaction not committed
    killed = await row()
    assert (killed.status, killed.attempts) == ("pending", 1)
    assert await notes() == 0, "nothing of the killed run was committed"
    if backend == "sqlite":
        path = settings.database_url.split(":///", 1)[1]
        with contextlib.closing(sqlite3.connect(path)) as check:
            assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    hang.unlink()  # the next run goes through
    with process(env, *args, log=log):

        async def done() -> OutboxRow | None:
            found = await row()
            return found if found.status != "pending" else None

        # The lost run's lease (timeout 3 s + 5 s) has to run out before the row is dispatched again (and,
        # for the server, its predecessor's runner lease, 15 s, before it runs jobs at all).
        finished = await wait_for(done, f"the row to be run again ({log})", 40)
    assert (finished.status, finished.attempts, finished.error) == ("done", 2, None)
    assert await notes() == 1, "the work was done exactly once"


def _exists(path: Path):
    async def check() -> bool:
        return path.exists()

    return check


@pytest.mark.parametrize("backend", ["postgres"])
async def test_kaari_worker_beside_kaari_serve_with_postgresql_and_redis(demo, db, redis_url, tmp_path):
    queue = f"kaari-test:{uuid.uuid4().hex}"
    env = server_env(tmp_path, demo.database_url)
    env.update(REDIS_URL=redis_url, KAARI_JOBS_QUEUE=queue)
    # The demo's open offer is past its expiry now; the web server must not expire it (it only enqueues).
    await db.execute(
        update(Offer).where(Offer.status == "open").values(expires_at=utcnow() - timedelta(minutes=1))
    )
    await db.commit()
    server = ServerProcess(env, log=tmp_path / "serve.log")
    await asyncio.to_thread(server.start)
    worker_log = tmp_path / "worker.log"
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30.0) as http:
            kotas = await tablet(http, "kotas")
            open_offers = [o.id for o in kotas.view.records("offer") if o.data["status"] == "open"]
            assert open_offers, "the demo county has an open offer"
            async with stream(server.base_url, await ticket_for(http, kotas)) as events:
                with process(env, "worker", log=worker_log) as worker:
                    await asyncio.to_thread(kaari, env, "jobs", "run", "queue.expire_offers")

                    async def offers_after_a_poke() -> bool:
                        # Pokes come from the worker process, through Redis. The worker's jobs that run at
                        # its start may poke first: pull on each poke until the expiry is seen.
                        await next_poke(events)
                        await kotas.pull()
                        return {kotas.view.get("offer", i).data["status"] for i in open_offers} == {"expired"}

                    await wait_for(offers_after_a_poke, "a poke after which the offer is expired", every=0)

                    check = await asyncio.to_thread(_arq_check, env)
                    assert check.returncode == 0, check.stdout + check.stderr
                    admin = (
                        await http.post("/api/auth/login", json={"username": "admin", "password": "demo"})
                    ).json()

                    async def at_start_jobs_done() -> dict | None:
                        report = (
                            await http.get("/api/admin/jobs", headers=bearer(admin["access_token"]))
                        ).json()
                        runs = {s["job"]: s["last_run"] for s in report["scheduled"]}
                        started = (
                            "places.move_free_places_window",
                            "queue.refresh_queues",
                            "queue.expire_offers",
                            "notifications.catch_up",
                        )
                        done = all(runs[j] and runs[j]["status"] == "done" for j in started)
                        # Nothing due is left (the demo's offer and deadline warnings wait for their time).
                        return report if done and report["outbox"]["due"] == 0 else None

                    report = await wait_for(at_start_jobs_done, "the worker's jobs in the admin view")
                    assert report["mode"] == "redis" and "j_complete=" in report["worker"]
                    failed = [(f["job"], f["error"]) for f in report["failed"]]
                    assert failed == [] and report["outbox"]["due"] == 0
                    stop(worker)  # SIGTERM: a clean stop
                    assert worker.returncode == 0, worker_log.read_text()[-2000:]
        check = await asyncio.to_thread(_arq_check, env)
        assert check.returncode == 1, "no worker on the queue any more"
    finally:
        await asyncio.to_thread(server.stop)


def _arq_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "arq"), "server.worker.WorkerSettings", "--check"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_job_commands_explain_what_they_need(settings, db, tmp_path):
    env = server_env(tmp_path, settings.database_url)
    worker = await asyncio.to_thread(_cli, env, "worker")
    assert worker.returncode == 2
    assert "kaari worker needs REDIS_URL. Without Redis, `kaari serve` runs the jobs itself." in worker.stderr
    unknown = await asyncio.to_thread(_cli, env, "jobs", "run", "places.nope")
    assert (unknown.returncode, unknown.stderr.strip()) == (
        1,
        "Error: No job is registered as 'places.nope'.",
    )
    asked = await asyncio.to_thread(_cli, env, "jobs", "run", "queue.expire_offers")
    assert (
        asked.returncode == 0 and "queue.expire_offers will run at once (kaari serve runs it)" in asked.stdout
    )
    row = await db.scalar(select(OutboxRow).where(OutboxRow.job == "queue.expire_offers"))
    assert (row.status, row.key[:7]) == ("pending", "manual:")


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
