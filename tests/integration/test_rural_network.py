"""A tablet's offline backlog drains over a rural network, nothing lost and nothing applied twice.

QUALITY.md: 2 s ± 1.5 s latency, 8 KB/s and connection resets; a 500-mutation backlog drains within
5 minutes. The tablet (the reference client, as the app) syncs the day in a unit, goes offline, records
a backlog of check-ins, then syncs through `ShapedProxy` on loopback to a real `kaari serve`: its first
four connections and every third after are reset, alternately while the request is going up (lost before
the server saw it all) and while the answer comes down (the server committed; the tablet does not know).
The tablet only retries as it would; the test waits for its outbox to empty.

Then on the server: one outcome per mutation, all applied; exactly one change-log entry per mutation
(a mutation run twice would have written a second); the replica's checksums equal the server's.

CI runs the full 500 against the 5-minute target (about a minute here: mostly the latency of each
exchange and the upload at 8 KB/s; the test is idle most of the time). `pytest --long` runs it again
with three more seeds, so the cuts fall elsewhere.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time

import httpx

from server.clock import today_in_finland
from server.demo import DEMO_DAY_UNIT
from server.reference.models import reference_id
from sync_protocol.client import MemoryStore, Replica, RetryPolicy, SyncError, login
from tests.integration.servers import demo_server
from tests.integration.shaped_network import Shape, ShapedProxy

DAY_UNIT = str(reference_id("unit", DEMO_DAY_UNIT))
# The app's backoff, shortened: the test measures the network, not how long a tablet waits to retry.
RETRY = RetryPolicy(attempts=8, base_delay=0.5, max_delay=5.0)
# A request may take long at 8 KB/s (a 500-mutation push is about 170 KB up); a reset ends it sooner.
TIMEOUT = httpx.Timeout(120.0, connect=30.0)


def backlog(clients: list[str], count: int) -> list[dict[str, str]]:
    """`count` check-ins with distinct (client, day): the unit's clients on the past days, newest first."""
    out: list[dict[str, str]] = []
    day = today_in_finland() - timedelta(days=1)
    while len(out) < count:
        for client_id in clients[: count - len(out)]:
            at = datetime.combine(day, clock_time(8, 30), UTC).isoformat()
            out.append({"client_id": client_id, "unit_id": DAY_UNIT, "date": day.isoformat(), "at": at})
        day -= timedelta(days=1)
    return out


COUNT, LIMIT_S = 500, 300.0


async def test_backlog_drains_over_a_rural_network(tmp_path, long_run):
    for seed in (19, 20, 21, 22) if long_run else (19,):
        await _drain_backlog(tmp_path / f"seed-{seed}", seed)


async def _drain_backlog(tmp_path, seed: int) -> None:
    count = COUNT
    data = tmp_path / "var"
    server = demo_server(tmp_path, KAARI_RUN_JOBS="0")
    proxy = ShapedProxy(server.port, Shape(seed=seed))
    port = await proxy.start()
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=TIMEOUT) as office:
            credentials = await login(office, "paiva", "demo")
            tablet = Replica(MemoryStore(), credentials, http=office)
            await tablet.pull()  # the morning's sync, on the unit's good network
        clients = sorted(r.id for r in tablet.view.records("client"))
        work = backlog(clients, count)
        for args in work:
            await tablet.mutate("attendance.check_in", args)
        ids = {str(m.id) for m in tablet.store.outbox()}
        head = _head(data / "kaari.sqlite3")

        started = time.monotonic()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=TIMEOUT) as rural:
            tablet = Replica(tablet.store, credentials, http=rural, retry=RETRY)
            syncs = await asyncio.wait_for(_drain(tablet), timeout=LIMIT_S)
        drained_s = time.monotonic() - started
        print(
            f"\n{count} mutations drained in {drained_s:.0f} s ({syncs} syncs, {proxy.connections} "
            f"connections, resets up/down {proxy.resets}, bytes {proxy.bytes})"
        )
        assert proxy.resets["up"] >= 2 and proxy.resets["down"] >= 2, proxy.resets
    finally:
        await proxy.close()
        server.stop()

    db = sqlite3.connect(data / "kaari.sqlite3")
    try:
        outcomes = {
            str(uuid.UUID(bytes=row[0]) if isinstance(row[0], bytes) else uuid.UUID(row[0])): row[1]
            for row in db.execute("SELECT id, status FROM sync_mutations")
        }
        changes = db.execute(
            "SELECT record_id FROM changes WHERE version > ? AND record_type = 'attendance'", (head,)
        ).fetchall()
    finally:
        db.close()
    assert set(outcomes) == ids, "every mutation has exactly one outcome"
    assert set(outcomes.values()) == {"applied"}
    assert len(changes) == count, f"{len(changes)} attendance changes for {count} mutations"
    assert len({row[0] for row in changes}) == count


async def _drain(tablet: Replica) -> int:
    """Sync as the app does (push, then pull) until the outbox is empty and the replica checks out."""
    syncs = 0
    while True:
        syncs += 1
        try:
            report = await tablet.sync()
        except (SyncError, httpx.HTTPError):
            continue  # the app's next sync comes on its timer; here, at once
        if not tablet.store.outbox() and not report.pull.mismatched:
            return syncs


def _head(database) -> int:
    with sqlite3.connect(database) as db:
        return db.execute("SELECT coalesce(max(version), 0) FROM changes").fetchone()[0]
