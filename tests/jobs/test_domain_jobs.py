"""The domains' registered jobs on the demo county, through the outbox in both runners: each run twice gives
the same state (the second run writes nothing to the change log), and devices are poked after the commit."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import func, select

from server.accounts.scopes import PLACES
from server.db import begin_write
from server.jobs import outbox, registry
from server.jobs.models import OutboxRow
from server.queue.models import Offer, QueueEntry
from server.queue.mutations import OFFER_HOURS
from server.sync.models import Change, SyncHead

DOMAIN_JOBS = [
    "queue.expire_offers",
    "places.move_free_places_window",
    "queue.refresh_queues",
    "jobs.prune_outbox",
    "notifications.sweep",
    "sync.alert_stale_devices",
    "sync.compact_change_log",
    "sync.prune_health_reports",
    "day_activity.headcount_scan",
    "places.anomaly_scan",
    "day_activity.anomaly_scan",
    "assessments.deadline_watch",
    "applications.deadline_watch",
    "notifications.catch_up",
]
# Run twice on data of their own elsewhere: on the demo county they cost more than they prove here.
COVERED_ELSEWHERE = ["statistics.snapshot_months"]  # tests/statistics/test_snapshots.py


async def run(jobs, job: str, key: str) -> OutboxRow:
    async with jobs.runtime.sessions() as session:
        await begin_write(session)
        await outbox.add(session, job, key)
        await session.commit()
    await jobs.drain()
    async with jobs.runtime.sessions() as session:
        return await session.scalar(select(OutboxRow).where(OutboxRow.job == job, OutboxRow.key == key))


async def state(jobs) -> tuple[int, list, list]:
    async with jobs.runtime.sessions() as session:
        head = await session.scalar(select(SyncHead.version))
        offers = (await session.execute(select(Offer.id, Offer.status).order_by(Offer.id))).all()
        entries = (
            await session.execute(select(QueueEntry.id, QueueEntry.status).order_by(QueueEntry.id))
        ).all()
        return head, offers, entries


def test_every_scheduled_job_is_covered_here():
    assert sorted(s.name for s in registry.scheduled()) == sorted(DOMAIN_JOBS + COVERED_ELSEWHERE)


async def test_each_domain_job_twice_gives_the_same_state(demo, jobs):
    jobs.clock.advance(hours=OFFER_HOURS + 1)  # the demo's open offers are past their expiry now
    before = await state(jobs)
    assert any(status == "open" for _, status in before[1]), "the demo county has an open offer"
    for job in DOMAIN_JOBS:
        first = await run(jobs, job, "first")
        after_first = await state(jobs)
        second = await run(jobs, job, "second")
        assert (first.status, second.status) == ("done", "done"), (job, first.error, second.error)
        assert await state(jobs) == after_first, f"{job}: the second run changed something"
    head, offers, entries = await state(jobs)
    assert head > before[0], "the offers expired and the window moved: the change log grew"
    assert all(status != "open" for _, status in offers)
    assert {status for _, status in entries} <= {"waiting", "placed", "withdrawn"}


@pytest.mark.parametrize("backend", ["sqlite"])  # pokes do not depend on the engine
async def test_a_job_pokes_the_scopes_it_touched_after_its_commit(demo, jobs):
    jobs.clock.advance(hours=OFFER_HOURS + 1)
    async with jobs.pokes(PLACES) as pokes:
        row = await run(jobs, "queue.expire_offers", "now")
        poke = json.loads(await asyncio.wait_for(pokes.get(), 10))
    expired = row.result
    assert row.status == "done" and len(expired) >= 1
    _, offers, _ = await state(jobs)
    # The version the job's transaction committed last (the jobs it asked for, the freed places'
    # notifications, may have committed more since).
    async with jobs.runtime.sessions() as session:
        committed = await session.scalar(
            select(func.max(Change.tx_last)).where(
                Change.record_type == "offer", Change.record_id.in_(expired)
            )
        )
    assert poke == {"version": committed}, "the poke carries the committed version: a pull finds the change"
    assert {str(i) for i, status in offers if status == "expired"} == set(expired)
