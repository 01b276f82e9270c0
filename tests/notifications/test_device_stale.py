"""`sync.alert_stale_devices`: a device silent past KAARI_STALE_AFTER_MINUTES with its outbox not empty is one
notification to the admins (inbox and push) per stale episode; the gauge on /metrics counts it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from notifications.jobs import alert_stale_devices
from server.db import utcnow
from server.jobs import registry, status
from server.sync.models import Replica
from tests.places.helpers import replica


async def stale_gauge(client) -> float:
    text = (await client.get("/metrics")).text
    line = next(x for x in text.splitlines() if x.startswith("kaari_sync_stale_devices "))
    return float(line.split()[1])


async def last_pull(sessions, tablet, ago: timedelta, depth: int) -> None:
    async with sessions() as session:
        await session.execute(
            update(Replica)
            .where(Replica.id == tablet.client_id)
            .values(last_pull_at=utcnow() - ago, health={"outbox_depth": depth})
        )
        await session.commit()


async def run_twice(sessions) -> list[dict]:
    results = []
    for _ in range(2):
        async with sessions() as session:
            results.append((await alert_stale_devices(session, utcnow()))[0])
    return results


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_stale_device_alerts_the_admins_once_per_episode(client, signed_in, fake_push, sessions):
    admin = await signed_in("admin")
    sub = fake_push.subscription("admin")
    await admin.subscribe(sub.json())
    tablet = await replica(client, "paiva")
    await tablet.pull()

    await last_pull(sessions, tablet, timedelta(hours=2), depth=0)  # silent, but nothing waits
    assert [r["notifications"] for r in await run_twice(sessions)] == [0, 0]
    assert await stale_gauge(client) == 0

    await last_pull(sessions, tablet, timedelta(hours=2), depth=3)
    first, second = await run_twice(sessions)
    assert (first["stale"], first["notifications"], first["accepted"]) == (1, 1, 1)
    assert (second["stale"], second["notifications"]) == (1, 0), "the same episode: nothing new"
    assert len(fake_push.requests(sub.path)) == 1
    [item] = (await admin.inbox())["items"]
    assert item["kind"] == "device_stale" and "3" in item["body"]
    assert await stale_gauge(client) == 1

    await last_pull(sessions, tablet, timedelta(minutes=5), depth=3)  # it synced: the episode ends
    assert [r["stale"] for r in await run_twice(sessions)] == [0, 0]
    assert await stale_gauge(client) == 0
    await last_pull(sessions, tablet, timedelta(minutes=90), depth=3)  # and went stale again
    assert [r["notifications"] for r in await run_twice(sessions)] == [1, 0]
    assert len(fake_push.requests(sub.path)) == 2 and len((await admin.inbox())["items"]) == 2

    counsellor = await signed_in("ohjaaja")  # not an admin: told nothing
    assert (await counsellor.inbox())["items"] == []


def test_it_runs_every_five_minutes():
    assert status.describe(registry.get("sync.alert_stale_devices").cron) == "every 5 minutes"
