"""Capacity is never exceeded, whatever the interleaving (protocol §6).

Many replicas push `stay.book` for the last places of oulu-stc-1 at the same moment, and replicas that booked
offline push late. On SQLite (one write lock, BEGIN IMMEDIATE) and on PostgreSQL (the unit's row lock), in
process and through a real server with two worker processes: occupancy never exceeds capacity on any date,
exactly as many bookings are applied as there were free places, and every loser gets `capacity_exhausted`
with alternatives.
"""

from __future__ import annotations

import asyncio
import os
import random
import uuid
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import async_sessionmaker

from server.clock import today_in_finland
from server.db import create_engine
from server.settings import Settings
from sync_protocol.client import RetryPolicy
from tests.conftest import POSTGRES_URL, _admin, make_settings
from tests.integration.servers import ServerProcess, kaari, server_env
from tests.places.helpers import STC, STC_2, STC_CLIENTS, day, recompute, replica

RETRY = RetryPolicy(attempts=60, base_delay=0.05, max_delay=1.0)
DATABASE = f"kaari_places_race_{os.getpid()}"  # per run: parallel runs never drop each other's


@pytest.fixture(autouse=True, scope="module")
def _drop_own_database():
    yield
    asyncio.run(_admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))


def booking(start: str, end: str, n: int) -> dict:
    return {
        "stay_id": str(uuid.uuid4()),
        "client_id": STC_CLIENTS[n % 2],
        "unit_id": str(STC),
        "start_date": start,
        "end_date": end,
    }


async def run_race(http_for, settings: Settings, racers: int, seed: int) -> None:
    """Take two places first, then race `racers` replicas for the last two; then late offline bookings."""
    rng = random.Random(seed)
    hoiva = await replica(http_for(), "hoiva", retry=RETRY)
    for n in range(2):
        await hoiva.mutate("stay.book", booking(day(45), day(46), n))
    offline = [await replica(http_for(), "kotas", retry=RETRY) for _ in range(3)]
    # Booked while offline: two for the contested days, one for days that stay free.
    late = [await o.mutate("stay.book", booking(day(45), day(47), n)) for n, o in enumerate(offline[:2])]
    free_late = await offline[2].mutate("stay.book", booking(day(50), day(51), 0))
    assert (await hoiva.push()).applied == 2

    online = [await replica(http_for(), rng.choice(["kotas", "hoiva"]), retry=RETRY) for _ in range(racers)]
    pending = [
        await r.mutate("stay.book", booking(day(44 + rng.randrange(2)), day(46 + rng.randrange(2)), n))
        for n, r in enumerate(online)
    ]
    reports = await asyncio.gather(*(r.push() for r in online))
    assert sum(r.applied for r in reports) == 2, "exactly the two free places are taken"
    assert sum(r.rejected for r in reports) == racers - 2
    for r, mutation in zip(online, pending, strict=True):
        held = [o for o in r.outcomes() if o.id == mutation.id]
        if held:
            assert held[0].code == "capacity_exhausted"
            assert str(STC_2) in {a["unit_id"] for a in held[0].details["alternatives"]}

    late_reports = await asyncio.gather(*(o.push() for o in offline))
    assert [r.applied for r in late_reports] == [0, 0, 1]
    for o, mutation in zip(offline[:2], late, strict=True):
        assert [h.code for h in o.outcomes() if h.id == mutation.id] == ["capacity_exhausted"]
    assert not offline[2].outcomes() and free_late.args["stay_id"]

    engine = create_engine(settings)
    try:
        async with async_sessionmaker(engine)() as session:
            days = [today_in_finland() + timedelta(days=n) for n in range(40, 56)]
            counted = await recompute(session, STC, days)
    finally:
        await engine.dispose()
    assert all(occupied <= capacity for capacity, occupied in counted.values()), counted
    assert counted[day(45)] == counted[day(46)] == (4, 4)
    assert counted[day(50)] == (4, 1)

    # Every replica's free places agree with the recomputation once it pulls.
    await offline[0].pull()
    seen = {
        r.data["date"]: (r.data["capacity"], r.data["occupied"])
        for r in offline[0].view.records("free_places")
        if r.data["unit_id"] == str(STC) and r.data["date"] in counted
    }
    assert seen == counted


async def test_race_for_the_last_places_in_process(client, app, demo):
    """SQLite and PostgreSQL through the in-process app (started by `client`); plain ASGI transports, so the
    concurrent pushes really interleave at every await (on PostgreSQL each in its own transaction)."""
    clients: list[httpx.AsyncClient] = []

    def http_for() -> httpx.AsyncClient:
        clients.append(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kaari.test")
        )
        return clients[-1]

    try:
        await run_race(http_for, demo, racers=12, seed=1)
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))


def _pg_url(database: str, driver: str = "postgresql+asyncpg") -> str:
    return (
        make_url(POSTGRES_URL).set(drivername=driver, database=database).render_as_string(hide_password=False)
    )


async def test_race_for_the_last_places_on_postgres_with_two_workers(tmp_path: Path) -> None:
    admin = await asyncpg.connect(_pg_url("postgres", "postgresql"), timeout=5)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {DATABASE}")
    finally:
        await admin.close()
    url = _pg_url(DATABASE)
    env = server_env(tmp_path / "var", url)
    await asyncio.to_thread(kaari, env, "db", "upgrade")
    await asyncio.to_thread(kaari, env, "seed", "demo")
    clients: list[httpx.AsyncClient] = []
    with ServerProcess(env, workers=2, log=tmp_path / "server.log") as server:

        def http_for() -> httpx.AsyncClient:
            clients.append(httpx.AsyncClient(base_url=server.base_url, timeout=30.0))
            return clients[-1]

        try:
            await run_race(http_for, make_settings(tmp_path / "check", url), racers=16, seed=2)
        finally:
            await asyncio.gather(*(c.aclose() for c in clients))
