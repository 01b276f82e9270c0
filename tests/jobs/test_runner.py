"""One outbox row, one effect: in both runners (arq on the real Redis, and in-process), on both databases."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import update

from server.db import begin_write
from server.jobs import outbox
from server.jobs.models import OutboxRow
from server.jobs.runner import run_row
from tests.jobs import sample_jobs
from tests.jobs.sample_jobs import Note


async def add(jobs, job: str, key: str, args=None, **kw) -> None:
    async with jobs.runtime.sessions() as session:
        await begin_write(session)
        await outbox.add(session, job, key, args, **kw)
        await session.commit()


async def test_a_row_runs_once_and_is_done(jobs):
    await add(jobs, "test.note", "a", Note("hello", times=2))
    await jobs.drain()
    [row] = await jobs.rows()
    assert (row.status, row.attempts, row.error, row.result) == ("done", 1, None, 2)
    assert await jobs.notes("hello") == 2
    await jobs.drain()
    assert await jobs.notes("hello") == 2, "a done row never runs again"


async def test_a_row_delivered_twice_runs_once(jobs):
    await add(jobs, "test.note", "a", Note("twice"))
    [row] = await jobs.rows()
    # Two dispatchers (two web processes, or a web process and the worker's sweep) hand over the same row.
    await jobs.dispatcher.submit([(row.id, row.job, 0)])
    await jobs.dispatcher.submit([(row.id, row.job, 0)])
    if jobs.mode == "redis":
        assert await jobs.redis.zcard(jobs.settings.jobs_queue) == 1, "one arq job per row and attempt"
        await jobs.burst_worker()
    else:
        assert len(jobs.runner._runs) == 1
        await asyncio.gather(*jobs.runner._runs.values())
    # A late duplicate of an attempt already run is dropped at the claim.
    assert await run_row(jobs.runtime, row.id, 0) == "skipped"
    assert await jobs.notes("twice") == 1
    assert [(r.status, r.attempts) for r in await jobs.rows()] == [("done", 1)]


@pytest.mark.parametrize("backend", ["sqlite"])  # the rows it writes are the same on both engines
async def test_a_passing_failure_is_retried_with_back_off_then_succeeds(jobs):
    await add(jobs, "test.note", "a", Note("fail:transient:2"))  # RetryPolicy(tries=3, backoff 0.2 s)
    before = jobs.clock()
    await jobs.drain()
    [row] = await jobs.rows()
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.error.startswith("OperationalError: (builtins.ConnectionResetError) connection lost")
    assert before + timedelta(seconds=0.2) <= row.run_at <= jobs.clock() + timedelta(seconds=0.2), (
        "first back-off: 0.2 s after the failure"
    )
    assert await jobs.notes() == 0, "the failed run's writes rolled back"

    jobs.clock.advance(seconds=0.25)
    before = jobs.clock()
    await jobs.drain()
    [row] = await jobs.rows()
    assert (row.status, row.attempts) == ("pending", 2)
    assert before + timedelta(seconds=0.4) <= row.run_at <= jobs.clock() + timedelta(seconds=0.4), (
        "the second back-off doubles"
    )

    jobs.clock.advance(seconds=0.45)
    await jobs.drain()
    [row] = await jobs.rows()
    assert (row.status, row.attempts, row.error) == ("done", 3, None)
    assert await jobs.notes() == 1


@pytest.mark.parametrize("backend", ["sqlite"])  # the rows it writes are the same on both engines
async def test_retries_end_when_the_tries_are_used_up(jobs):
    await add(jobs, "test.note", "a", Note("fail:transient:9"))
    for _ in range(3):
        await jobs.drain()
        jobs.clock.advance(seconds=1)
    [row] = await jobs.rows()
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.error.startswith("OperationalError: ")
    assert await jobs.notes() == 0


@pytest.mark.parametrize("backend", ["sqlite"])  # the rows it writes are the same on both engines
async def test_a_bug_fails_at_once_whatever_the_policy(jobs):
    await add(jobs, "test.note", "a", Note("fail:bug"))
    await add(jobs, "test.note_no_retry", "a", Note("fail:transient:1"))
    await jobs.drain()
    rows = await jobs.rows()
    assert [(r.job, r.status, r.attempts, r.error) for r in rows] == [
        ("test.note", "failed", 1, "ValueError: a bug in the job"),
        ("test.note_no_retry", "failed", 1, rows[1].error),
    ]
    assert rows[1].error.startswith("OperationalError: ")


@pytest.mark.parametrize("backend", ["sqlite"])  # the rows it writes are the same on both engines
async def test_bad_arguments_in_a_row_fail_it_with_a_clear_error(jobs):
    await add(jobs, "test.note", "a", Note("fine"))
    async with jobs.runtime.sessions() as session:
        await session.execute(update(OutboxRow).values(args={"text": 5}))
        await session.commit()
    await jobs.drain()
    [row] = await jobs.rows()
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.error == "Bad arguments for job 'test.note': Expected `str`, got `int` - at `$.text`"
    assert await jobs.notes() == 0


@pytest.mark.parametrize("backend", ["sqlite"])  # the rows it writes are the same on both engines
async def test_a_timeout_fails_the_run_and_rolls_it_back(jobs):
    await add(jobs, "test.note_no_retry", "a", Note("slow:30"))  # timeout 1.5 s
    await jobs.drain()
    [row] = await jobs.rows()
    assert (row.status, row.error) == ("failed", "Timed out after 1.5 s.")
    assert await jobs.notes() == 0


async def test_a_run_that_outlives_its_lease_cannot_commit_over_its_successor(jobs):
    """A slow run is taken to be lost after timeout + margin; the row runs again. Whichever commits
    first marks the row done, and the other one's commit is refused: one effect."""
    await add(jobs, "test.note", "a", Note("slow:1.5"))
    [row] = await jobs.rows()
    writing = sample_jobs.writing.setdefault("slow:1.5", asyncio.Event())
    slow = asyncio.create_task(run_row(jobs.runtime, row.id, 0))
    await asyncio.wait_for(writing.wait(), 10)  # the slow run claimed the row and wrote its note, uncommitted
    jobs.clock.advance(seconds=60)  # its lease (4 s + 5 s) has run out
    again = await run_row(jobs.runtime, row.id, 1)
    first = await slow
    assert await jobs.notes() == 1
    if jobs.settings.is_sqlite:
        # The slow run holds SQLite's write lock: the successor's claim waits for it and finds the row done.
        assert (first, again) == ("done", "skipped")
        assert [(r.status, r.attempts) for r in await jobs.rows()] == [("done", 1)]
    else:
        # PostgreSQL: the successor claims attempt 2 and commits first; the slow run's commit is refused.
        assert (first, again) == ("skipped", "done")
        assert [(r.status, r.attempts) for r in await jobs.rows()] == [("done", 2)]
