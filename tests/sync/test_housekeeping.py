"""The sync engine's nightly housekeeping, each job run twice: change-log compaction (an older cookie gets
`reset` and converges to what a fresh replica holds; a newer one goes on pulling incrementally) and the
pruning of silent replicas' health reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from server.clock import today_in_finland
from server.db import create_engine, utcnow
from server.demo import DEMO_DAY_UNIT
from server.reference.models import reference_id
from server.sync import models as sync_models
from server.sync.jobs import compact_change_log, prune_health_reports
from server.sync.models import Change, ChangeScope, SyncHead
from sync_protocol.client import MemoryStore, Replica, login

DAY_UNIT = str(reference_id("unit", DEMO_DAY_UNIT))


@pytest.fixture
async def sessions(demo):
    engine = create_engine(demo)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


async def replica(client) -> Replica:
    return Replica(MemoryStore(), await login(client, "paiva", "demo"), http=client)


def attendance(client_id: str) -> dict:
    return {
        "client_id": client_id,
        "unit_id": DAY_UNIT,
        "date": today_in_finland().isoformat(),
        "at": datetime.now(UTC),
    }


def held(tablet: Replica) -> list[tuple]:
    return [(r.type, r.id, r.version, r.data) for r in tablet.store.records()]


async def twice(sessions, body, now: datetime) -> list:
    results = []
    for _ in range(2):
        async with sessions() as session:
            results.append((await body(session, now))[0])
            await session.commit()  # as the job runner does
    return results


# Both engines: the compaction's window functions and row-value IN are the dialects' own SQL.
async def test_compaction_resets_older_cookies_only(client, sessions):
    old, writer = await replica(client), await replica(client)
    await old.pull()
    await writer.pull()
    *clients, later = [r.id for r in writer.view.records("client")][:4]
    for name in ("attendance.check_in", "attendance.check_out"):  # two pushes: the first versions superseded
        for client_id in clients:
            await writer.mutate(name, attendance(client_id))
        await writer.sync()
    async with sessions() as session:
        aged = await session.scalar(select(SyncHead.version))
        # All of it happened 40 days ago, as far as the log can tell.
        await session.execute(update(Change).values(at=utcnow() - timedelta(days=40)))
        await session.commit()
        logged = await session.scalar(select(func.count()).select_from(Change))
    recent = await replica(client)
    await recent.pull()  # a cookie at the head: newer than anything compaction removes

    first, second = await twice(sessions, compact_change_log, utcnow())
    assert first["removed"] >= len(clients) and second["removed"] == 0
    assert first["compacted_before"] == second["compacted_before"] <= aged
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Change)) == logged - first["removed"]
        orphans = (
            select(func.count())
            .select_from(ChangeScope)
            .where(~ChangeScope.version.in_(select(Change.version)))
        )
        assert await session.scalar(orphans) == 0
        # Each record's last change before the cutoff stays: the attendance rows' check-outs.
        kept = select(Change.op).where(
            Change.record_type == "attendance",
            Change.record_id.in_([r.id for r in writer.store.records("attendance")]),
        )
        assert (await session.execute(kept)).scalars().all() == ["put"] * len(clients)

    await writer.mutate("attendance.check_in", attendance(later))
    await writer.sync()
    incremental = await recent.pull()
    assert not incremental.reset and incremental.ops >= 1
    reset = await old.pull()
    assert reset.reset and not reset.mismatched
    fresh = await replica(client)
    await fresh.pull()
    assert held(old) == held(fresh) == held(recent)


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_health_reports_of_silent_replicas_are_forgotten(client, sessions):
    silent, busy = await replica(client), await replica(client)
    await silent.pull()
    await busy.pull()
    async with sessions() as session:
        await session.execute(
            update(sync_models.Replica)
            .where(sync_models.Replica.id == silent.client_id)
            .values(last_pull_at=utcnow() - timedelta(days=91), last_error="quota")
        )
        await session.commit()
    assert await twice(sessions, prune_health_reports, utcnow()) == [1, 0]
    async with sessions() as session:
        rows = {c.id: c for c in (await session.execute(select(sync_models.Replica))).scalars()}
    assert (rows[silent.client_id].health, rows[silent.client_id].last_error) == (None, None)
    assert rows[silent.client_id].last_pull_at is not None, "the times stay for the admin view"
    assert rows[busy.client_id].health is not None
