"""Moves between 24h units (`residency.move`), and lock order across units: concurrent pushes that lock the
same two units in opposite orders never deadlock, because every places mutation locks its units in
ascending unit id (`capacity.lock_units`, and the `prepare` hooks for a whole batch).

On PostgreSQL a deadlock would fail one push with a 5xx (PostgreSQL breaks it by aborting a transaction);
the replicas here do not retry, so any such failure fails the test. On SQLite the same runs serialise on the
single write lock.
"""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy import text

from server.demo import demo_id
from server.reference.models import reference_id
from sync_protocol.client import RetryPolicy
from tests.places.helpers import H24, STC, STC_2, day, other_client, published, recompute, replica, window
from tests.places.test_mutations import book, outcome

H24_1, H24_2 = reference_id("unit", "oulu-h24-1"), reference_id("unit", "oulu-h24-2")  # 45 and 56 places
NO_RETRY = RetryPolicy(attempts=1)


def resident(unit_code: str, n: int) -> str:
    return str(demo_id("residency", f"{unit_code}:{n}"))


def move_args(residency_id: str, unit_id: uuid.UUID, move_date: str) -> dict:
    return {
        "residency_id": residency_id,
        "new_residency_id": str(uuid.uuid4()),
        "unit_id": str(unit_id),
        "move_date": move_date,
    }


async def test_move_between_24h_units(client, db):
    kotas, hoiva = await replica(client, "kotas"), await replica(client, "hoiva")
    moves = [
        await kotas.mutate("residency.move", move_args(resident("oulu-h24-1", n), H24, day(5)))
        for n in range(3)
    ]
    same = await kotas.mutate("residency.move", move_args(resident("oulu-h24-1", 5), H24_1, day(5)))
    kind = await kotas.mutate("residency.move", move_args(resident("oulu-h24-1", 5), STC, day(5)))
    early = await kotas.mutate("residency.move", move_args(resident("oulu-h24-1", 6), H24, "2025-12-31"))
    await kotas.sync()
    assert [outcome(kotas, m) for m in moves[:2]] == [None, None]
    full = outcome(kotas, moves[2])
    assert full.code == "capacity_exhausted" and {a["unit_id"] for a in full.details["alternatives"]} >= {
        str(H24_1),
        str(H24_2),
    }
    assert [outcome(kotas, m).code for m in (same, kind, early)] == [
        "invalid_args",
        "invalid_unit_kind",
        "invalid_date",
    ]
    old = kotas.view.get("residency", moves[0].args["residency_id"]).data
    new = kotas.view.get("residency", moves[0].args["new_residency_id"]).data
    assert old["move_out"] == day(4) and old["unit_id"] == str(H24_1)
    assert new["move_in"] == day(5) and new["move_out"] is None and new["unit_id"] == str(H24)
    assert new["client_id"] == old["client_id"]
    assert published(kotas, H24)[day(4)] == (15, 13) and published(kotas, H24)[day(5)] == (15, 15)
    assert published(kotas, H24_1)[day(5)] == (45, 38)
    for unit in (H24, H24_1):
        assert published(kotas, unit) == await recompute(db, unit, window())

    # Unit staff of another unit may not move residents; a replay of the same move is a no-op.
    denied = await hoiva.mutate("residency.move", move_args(resident("oulu-h24-2", 0), H24_1, day(5)))
    await hoiva.sync()
    assert outcome(hoiva, denied).code == "forbidden"
    replay = await kotas.mutate("residency.move", moves[1].args)
    await kotas.sync()
    assert outcome(kotas, replay) is None


async def test_opposite_lock_orders_do_not_deadlock(client, app, db, backend):
    """Eight replicas push at once: half of them a batch `stay.book` oulu-stc-1 then oulu-stc-2, half the other
    way round; and eight moves between two 24h units, half in each direction."""
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kaari.test")
        for _ in range(16)
    ]
    try:
        # `client` runs the app's lifespan; the requests go through plain ASGI transports in this loop.
        bookers = [await replica(c, "kotas", retry=NO_RETRY) for c in clients[:8]]
        for n, sync in enumerate(bookers):
            units = (STC, STC_2) if n % 2 == 0 else (STC_2, STC)
            for unit in units:
                await book(sync, other_client(n), day(14 + 2 * n), day(15 + 2 * n), unit=unit)
        movers = [await replica(c, "kotas", retry=NO_RETRY) for c in clients[8:]]
        for n, sync in enumerate(movers):
            source, target = ("oulu-h24-1", H24_2) if n % 2 == 0 else ("oulu-h24-2", H24_1)
            await sync.mutate("residency.move", move_args(resident(source, n), target, day(10)))
        reports = await asyncio.gather(*(r.push() for r in bookers + movers))
        assert [r.applied for r in reports] == [2] * 8 + [1] * 8
        assert all(not r.outcomes() for r in bookers + movers)

        await bookers[0].pull()
        for unit in (STC, STC_2, H24_1, H24_2):
            assert published(bookers[0], unit) == await recompute(db, unit, window())
        if backend == "postgres":
            await db.rollback()
            deadlocks = await db.execute(
                text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
            )
            assert deadlocks.scalar_one() == 0
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))


async def test_batches_mixing_mutation_names_lock_their_units_together(client, app, db, backend):
    """A batch that books in one unit and moves a stay in another, against batches doing the reverse: each
    name's `prepare` hook asks for its units, and the push locks all of them at once in ascending id, so
    the two name orders cannot deadlock."""
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kaari.test")
        for _ in range(8)
    ]
    try:
        replicas = [await replica(c, "kotas", retry=NO_RETRY) for c in clients]
        stays = {}
        for n, sync in enumerate(replicas):
            other = STC_2 if n % 2 == 0 else STC
            stays[n] = await book(sync, other_client(n), day(30 + 2 * n), day(30 + 2 * n), unit=other)
            await sync.sync()
            assert outcome(sync, stays[n]) is None
        for n, sync in enumerate(replicas):
            first = STC if n % 2 == 0 else STC_2
            await book(sync, other_client(n), day(14 + 2 * n), day(15 + 2 * n), unit=first)
            start = day(31 + 2 * n)
            await sync.mutate(
                "stay.change_dates",
                {"stay_id": stays[n].args["stay_id"], "start_date": start, "end_date": start},
            )
        reports = await asyncio.gather(*(r.push() for r in replicas))
        assert [r.applied for r in reports] == [2] * 8
        assert all(not r.outcomes() for r in replicas)
        if backend == "postgres":
            await db.rollback()
            deadlocks = await db.execute(
                text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
            )
            assert deadlocks.scalar_one() == 0
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
