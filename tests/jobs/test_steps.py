"""A body that commits in steps (`statistics.snapshot_months`: one commit per month) and fails between
them: its row is not done (the done mark goes only into the runner's last commit), the rerun does the rest,
and the result equals one clean run's. In both runners, on both databases."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.exc import OperationalError

from server.clock import today_in_finland
from server.statistics import snapshots
from server.statistics.marks import window
from server.statistics.models import StatisticsSnapshot
from tests.jobs.test_domain_jobs import run
from tests.jobs.test_runner import add

JOB = "statistics.snapshot_months"


async def stored(jobs) -> list[tuple]:
    async with jobs.runtime.sessions() as session:
        query = select(
            StatisticsSnapshot.report,
            StatisticsSnapshot.month,
            StatisticsSnapshot.rows,
            StatisticsSnapshot.basis,
            StatisticsSnapshot.computed_generation,
        ).order_by(StatisticsSnapshot.report, StatisticsSnapshot.month)
        return [tuple(r) for r in (await session.execute(query)).all()]


async def test_a_body_failing_between_its_commits_is_rerun_to_the_clean_result(jobs, monkeypatch):
    refresh = snapshots.refresh
    calls = 0

    async def fails_at_the_third_month(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == 3:  # two months committed, as steps of their own
            raise OperationalError("INSERT", {}, ConnectionResetError("connection lost"))
        await refresh(*args, **kwargs)

    monkeypatch.setattr(snapshots, "refresh", fails_at_the_third_month)
    await add(jobs, JOB, "interrupted")
    await jobs.drain()
    [row] = await jobs.rows()
    assert (row.status, row.attempts) == ("pending", 1), "not done: its last steps have not run"
    assert "connection lost" in row.error
    assert len(await stored(jobs)) == 2, "the committed steps stay"

    jobs.clock.advance(hours=1)  # past the nightly back-off
    await jobs.drain()
    [row] = await jobs.rows()
    assert (row.status, row.attempts, row.error) == ("done", 2, None)
    months = len(window(today_in_finland(jobs.clock())))
    rerun = await stored(jobs)
    assert len(rerun) == months * len(snapshots.REPORTS)

    async with jobs.runtime.sessions() as session:
        await session.execute(delete(StatisticsSnapshot))
        await session.commit()
        assert await session.scalar(select(func.count()).select_from(StatisticsSnapshot)) == 0
    clean = await run(jobs, JOB, "clean")
    assert clean.status == "done"
    assert await stored(jobs) == rerun, "the interrupted run and its rerun left what one clean run leaves"
