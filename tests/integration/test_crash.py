"""Crash safety on SQLite (QUALITY.md, Reliability): `kill -9` the real server at random moments during pushes.

A reference client pushes batches of check-ins and absences to `python -m server.cli serve` on a file
database while a killer SIGKILLs the server at seeded random moments and restarts it. The client only
retries with its backoff. At every crash, with the server dead, the database file is checked: it passes
`PRAGMA integrity_check`, every mutation the client has an `applied` acknowledgement for is committed,
and every push batch sent so far is committed whole or not at all. After the last restart the client
drains its outbox and its replica must match the server (checksums).

CI: 5 kills. `pytest --long`: 100.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from server.clock import today_in_finland
from server.demo import DEMO_DAY_UNIT
from server.reference.models import reference_id
from sync_protocol import policies
from sync_protocol.client import MemoryStore, Replica, RetryPolicy, login
from tests.integration.servers import REPO, ServerProcess, kaari, server_env

DAY_UNIT = str(reference_id("unit", DEMO_DAY_UNIT))
SEED = 20261122
RETRY = RetryPolicy(attempts=400, base_delay=0.02, max_delay=0.3)


def _uuid(value: object) -> uuid.UUID:
    if isinstance(value, bytes):
        return uuid.UUID(bytes=value) if len(value) == 16 else uuid.UUID(value.decode())
    return uuid.UUID(str(value))


class Ledger:
    """What the client sent and what it was told, seen on the wire."""

    def __init__(self) -> None:
        self.batches: dict[tuple[str, ...], None] = {}  # ordered set of batches (retries are the same batch)
        self.sent: dict[str, dict] = {}  # mutation id -> envelope
        self.acknowledged: set[str] = set()
        self.push_requests = 0

    async def on_request(self, request: httpx.Request) -> None:
        if request.url.path.endswith("/sync/v1/push"):
            body = json.loads(request.content)
            ids = tuple(m["id"] for m in body["mutations"])
            self.batches.setdefault(ids, None)
            self.sent.update({m["id"]: m for m in body["mutations"]})
            self.push_requests += 1

    async def on_response(self, response: httpx.Response) -> None:
        if response.request.url.path.endswith("/sync/v1/push") and response.status_code == 200:
            try:
                await response.aread()
                body = json.loads(response.content)
            except (httpx.HTTPError, ValueError):
                return  # cut short: the client retries, nothing was acknowledged
            self.acknowledged |= {r["id"] for r in body["results"] if r["status"] == "applied"}


def check_database(path: Path, ledger: Ledger, acknowledged: set[str], batches: list[tuple[str, ...]]) -> int:
    """With the server dead: integrity, nothing acknowledged lost, no batch half visible."""
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        committed = {str(_uuid(row[0])) for row in db.execute("SELECT id FROM sync_mutations")}
    finally:
        db.close()
    lost = acknowledged - committed
    assert not lost, f"{len(lost)} acknowledged mutations are not in sync_mutations: {sorted(lost)[:5]}"
    for batch in batches:
        present = sum(1 for mutation_id in batch if mutation_id in committed)
        assert present in (0, len(batch)), f"batch half visible: {present} of {len(batch)} committed"
    return len(committed)


def new_mutation(rng: random.Random, clients: list[str]) -> tuple[str, dict]:
    day = (today_in_finland() - timedelta(days=rng.randrange(0, 6))).isoformat()
    client_id = rng.choice(clients)
    if rng.random() < 0.7:
        at = datetime.now(UTC).replace(microsecond=0).isoformat()
        return "attendance.check_in", {"client_id": client_id, "unit_id": DAY_UNIT, "date": day, "at": at}
    return "attendance.mark_absent", {
        "client_id": client_id,
        "unit_id": DAY_UNIT,
        "date": day,
        "reason": "ill",
    }


async def test_kill_9_during_pushes_loses_nothing_acknowledged(tmp_path, long_run):
    kills_wanted = 100 if long_run else 5
    rng = random.Random(SEED)
    data = tmp_path / "var"
    env = server_env(data)
    kaari(env, "db", "upgrade")
    kaari(env, "seed", "demo")
    database = data / "kaari.sqlite3"
    server = ServerProcess(env, log=tmp_path / "server.log")
    server.start()

    ledger = Ledger()
    http = httpx.AsyncClient(
        base_url=server.base_url,
        timeout=10.0,
        event_hooks={"request": [ledger.on_request], "response": [ledger.on_response]},
    )
    started = time.monotonic()
    kills = 0
    checks: list[int] = []
    try:
        credentials = await login(http, "paiva", "demo")
        tablet = Replica(MemoryStore(), credentials, http=http, retry=RETRY, random=rng.random)
        await tablet.pull()
        clients = sorted(r.id for r in tablet.view.records("client"))
        assert clients

        stop = asyncio.Event()

        async def pusher() -> None:
            while not stop.is_set():
                for _ in range(rng.randrange(5, 60)):
                    name, args = new_mutation(rng, clients)
                    await tablet.mutate(name, args)
                await tablet.push()

        async def killer() -> None:
            nonlocal kills
            while kills < kills_wanted:
                before = ledger.push_requests
                # Let the client get going on this server life, then kill it mid-work.
                while ledger.push_requests == before:  # noqa: ASYNC110 - polling a counter the hook bumps
                    await asyncio.sleep(0.005)
                await asyncio.sleep(rng.uniform(0.0, 0.25))
                acknowledged, batches = set(ledger.acknowledged), list(ledger.batches)
                await asyncio.to_thread(server.kill)
                kills += 1
                checks.append(
                    await asyncio.to_thread(check_database, database, ledger, acknowledged, batches)
                )
                await asyncio.to_thread(server.start)
            stop.set()

        push_task = asyncio.create_task(pusher())
        await asyncio.wait_for(killer(), timeout=120 + 6 * kills_wanted)
        await asyncio.wait_for(push_task, timeout=120)

        # Final drain: everything queued reaches the server; the replica then matches it exactly.
        await tablet.push()
        report = await tablet.pull()
        assert report.mismatched == []
        assert tablet.store.outbox() == []
        replica_sums = {s: c.hex for s, c in tablet.store.scope_checksums().items()}
    finally:
        await http.aclose()
        server.stop()

    db = sqlite3.connect(database)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        mutations = {
            str(_uuid(row[0])): row[1] for row in db.execute("SELECT id, status FROM sync_mutations")
        }
        records = {
            row[0]: json.loads(row[1])
            for row in db.execute("SELECT record_id, data FROM sync_records WHERE record_type = 'attendance'")
        }
        server_sums = {
            scope: policies_hex(checksum)
            for scope, checksum in db.execute("SELECT scope, checksum FROM scope_state")
        }
    finally:
        db.close()

    # Nothing acknowledged lost, and its effect is there.
    assert ledger.acknowledged <= set(mutations)
    for mutation_id in ledger.acknowledged:
        envelope = ledger.sent[mutation_id]
        args = envelope["args"]
        record = records.get(str(policies.attendance_id(args["client_id"], args["unit_id"], args["date"])))
        assert record is not None, f"no attendance for acknowledged {envelope}"
        if envelope["name"] == "attendance.check_in":
            assert record["checked_in_at"] is not None
        else:
            assert record["absent_reason"] is not None or record["checked_in_at"] is not None
    # Every batch the client sent was committed whole, exactly once per mutation.
    for batch in ledger.batches:
        assert all(m in mutations for m in batch)
    assert set(ledger.sent) == set(mutations)
    assert all(status == "applied" for status in mutations.values()), "a check-in was rejected"
    for scope, checksum in replica_sums.items():
        assert server_sums[scope] == checksum, scope

    elapsed = time.monotonic() - started
    summary = (
        f"kills={kills} server_starts={server.starts} batches={len(ledger.batches)} "
        f"push_requests={ledger.push_requests} mutations_sent={len(ledger.sent)} "
        f"acknowledged={len(ledger.acknowledged)} committed={len(mutations)} "
        f"committed_at_kills={checks} seconds={elapsed:.1f}"
    )
    print(summary)
    artifacts = REPO / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "crash.txt").write_text(summary + "\n")
    assert kills == kills_wanted


def policies_hex(signed: int) -> str:
    from sync_protocol.checksum import format_checksum, from_signed64

    return format_checksum(from_signed64(signed))
