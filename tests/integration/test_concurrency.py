"""Concurrent pushers and pullers (QUALITY.md, Reliability: PostgreSQL too; protocol §4 "a pull MUST NEVER skip").

1. Replicas of the reference client push check-ins in parallel through a real server with two worker
   processes on PostgreSQL while other replicas pull in a loop. At the end every replica equals the server
   for its scopes (records and checksums) and saw every change of its scopes after its first sync.
2. Change versions commit in order: a writer that flushes a change set while another transaction holds
   the head lock waits for it; a pull taken between the two commits misses neither.
3. Property: N concurrent writers and a puller in a loop; the versions the puller saw for the scope are
   exactly the versions the change log has for it (PostgreSQL and SQLite).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.accounts.principal import Grant, Principal
from server.accounts.scopes import unit_scope
from server.clock import today_in_finland
from server.db import begin_write, create_engine
from server.demo import DEMO_DAY_UNIT, demo_id
from server.reference.models import reference_id
from server.sync.changes import ChangeSet
from server.sync.cookie import peek_cookie
from server.sync.models import ChangeScope
from server.sync.pull import pull
from sync_protocol import PROTOCOL_VERSION
from sync_protocol.checksum import ScopeChecksum, format_checksum, from_signed64
from sync_protocol.client import MemoryStore, Replica, RetryPolicy, login
from sync_protocol.messages import DelOp, PullRequest, PutOp
from tests.conftest import POSTGRES_URL, _admin
from tests.integration.servers import ServerProcess, kaari, server_env

DAY_UNIT = str(reference_id("unit", DEMO_DAY_UNIT))
DAY_SCOPE = unit_scope(uuid.UUID(DAY_UNIT))
DATABASE = f"kaari_concurrency_{os.getpid()}"  # per run: parallel runs never drop each other's


@pytest.fixture(autouse=True, scope="module")
def _drop_own_database():
    yield
    asyncio.run(_admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))


RETRY = RetryPolicy(attempts=60, base_delay=0.05, max_delay=1.0)
PULL = "/api/sync/v1/pull"
PULLER_ID = uuid.UUID("00000000-0000-4000-8000-00000000c0de")


# --- 1. a real server, several processes ------------------------------------------------------------------


def _pg_url(database: str, driver: str = "postgresql+asyncpg") -> str:
    return (
        make_url(POSTGRES_URL).set(drivername=driver, database=database).render_as_string(hide_password=False)
    )


async def _fresh_database() -> None:
    admin = await asyncpg.connect(_pg_url("postgres", "postgresql"), timeout=5)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {DATABASE}")
    finally:
        await admin.close()


class Wire:
    """Records, for one replica, the versions of every op its incremental pulls brought."""

    def __init__(self) -> None:
        self.after: int | None = None  # the cookie version after the first sync; ops after it are counted
        self.seen: set[int] = set()
        self.scopes: dict[str, dict[str, Any]] = {}
        self.pulls = 0

    async def on_response(self, response: httpx.Response) -> None:
        if not response.request.url.path.endswith(PULL) or response.status_code != 200:
            return
        await response.aread()
        body = json.loads(response.content)
        self.pulls += 1
        if self.after is not None:
            self.seen |= {op["version"] for op in body["ops"] if op["op"] in ("put", "del")}
        if not body["has_more"]:
            self.scopes = body["scopes"]


class Tablet:
    def __init__(self, name: str, base_url: str) -> None:
        self.name = name
        self.wire = Wire()
        self.http = httpx.AsyncClient(
            base_url=base_url, timeout=30.0, event_hooks={"response": [self.wire.on_response]}
        )
        self.client: Replica | None = None
        self.queued = 0

    async def start(self, username: str) -> None:
        credentials = await login(self.http, username, "demo")
        self.client = Replica(MemoryStore(), credentials, http=self.http, retry=RETRY)
        report = await self.client.pull()
        assert report.mismatched == [], self.name
        cookie = peek_cookie(self.client.store.state().cookie)
        assert cookie is not None
        self.wire.after = cookie.v


async def _server_state(url: str) -> tuple[dict[str, set[tuple]], dict[str, str], dict[str, set[int]], dict]:
    engine = create_engine_for(url)
    try:
        async with engine.connect() as conn:
            records: dict[str, set[tuple]] = {}
            for scope, record_type, record_id, version, data in await conn.execute(
                text(
                    "SELECT rs.scope, r.record_type, r.record_id, r.version, r.data FROM record_scopes rs "
                    "JOIN sync_records r ON r.record_type = rs.record_type AND r.record_id = rs.record_id"
                )
            ):
                records.setdefault(scope, set()).add(
                    (record_type, record_id, version, json.dumps(data, sort_keys=True))
                )
            sums = {
                scope: format_checksum(from_signed64(checksum))
                for scope, checksum in await conn.execute(text("SELECT scope, checksum FROM scope_state"))
            }
            versions: dict[str, set[int]] = {}
            for scope, version in await conn.execute(text("SELECT scope, version FROM change_scopes")):
                versions.setdefault(scope, set()).add(version)
            outcomes = dict(
                (
                    await conn.execute(text("SELECT status, count(*) FROM sync_mutations GROUP BY status"))
                ).all()
            )
        return records, sums, versions, outcomes
    finally:
        await engine.dispose()


def create_engine_for(url: str):
    from sqlalchemy.ext.asyncio import create_async_engine

    return create_async_engine(url)


async def test_parallel_pushers_and_pullers_converge_on_postgres(tmp_path: Path, long_run: bool) -> None:
    await _fresh_database()
    url = _pg_url(DATABASE)
    env = server_env(tmp_path / "var", url)
    await asyncio.to_thread(kaari, env, "db", "upgrade")
    await asyncio.to_thread(kaari, env, "seed", "demo")
    rounds = 20 if long_run else 3
    rng = random.Random(4242)
    started = time.monotonic()

    with ServerProcess(env, workers=2, log=tmp_path / "server.log") as server:
        pushers = [Tablet(f"paiva-push-{n}", server.base_url) for n in range(5)]
        pullers = [Tablet(f"paiva-pull-{n}", server.base_url) for n in range(2)]
        pullers.append(Tablet("hoiva-pull", server.base_url))
        replicas = pushers + pullers
        try:
            # Signed in one after another: seven parallel sign-ins of one user would meet the sign-in limit
            # (attempts count while in flight); what runs in parallel below is the syncing.
            for r in replicas:
                await r.start("hoiva" if r.name.startswith("hoiva") else "paiva")
            clients = sorted(r.id for r in pushers[0].client.view.records("client"))
            assert len(clients) >= 10
            pushing = asyncio.Event()
            pushing.set()

            async def push_loop(replica: Tablet) -> None:
                local = random.Random(rng.random())
                for _ in range(rounds):
                    for _ in range(local.randrange(5, 20)):
                        day = (today_in_finland() - timedelta(days=local.randrange(0, 3))).isoformat()
                        args = {"client_id": local.choice(clients), "unit_id": DAY_UNIT, "date": day}
                        if local.random() < 0.75:
                            at = datetime.now(UTC) - timedelta(minutes=local.randrange(0, 600))
                            await replica.client.mutate("attendance.check_in", {**args, "at": at.isoformat()})
                        else:
                            await replica.client.mutate("attendance.mark_absent", {**args, "reason": "ill"})
                        replica.queued += 1
                    await replica.client.push()
                    if local.random() < 0.5:
                        await replica.client.pull()

            async def pull_loop(replica: Tablet) -> None:
                while pushing.is_set():
                    await replica.client.pull()
                    await asyncio.sleep(0.01)

            async def pushes() -> None:
                try:
                    await asyncio.gather(*(push_loop(r) for r in pushers))
                finally:
                    pushing.clear()

            await asyncio.wait_for(asyncio.gather(pushes(), *(pull_loop(r) for r in pullers)), timeout=90)
            for replica in replicas:
                await replica.client.push()
                report = await replica.client.pull()
                assert report.mismatched == [], replica.name
        finally:
            for replica in replicas:
                await replica.http.aclose()

    records, sums, versions, outcomes = await _server_state(url)
    queued = sum(r.queued for r in pushers)
    for replica in replicas:
        store = replica.client.store
        assert store.outbox() == [], replica.name
        scopes = set(replica.wire.scopes)
        assert DAY_SCOPE in scopes or replica.name.startswith("hoiva")
        local = {s: c.hex for s, c in store.scope_checksums().items()}
        for scope in scopes:
            assert local.get(scope, format_checksum(0)) == sums.get(scope, format_checksum(0)), (
                replica.name,
                scope,
            )
            assert replica.wire.scopes[scope]["checksum"] == sums.get(scope, format_checksum(0))
        mine = {(r.type, r.id, r.version, json.dumps(r.data, sort_keys=True)) for r in store.records()}
        theirs = set().union(*(records.get(s, set()) for s in scopes))
        assert mine == theirs, (replica.name, len(mine ^ theirs))
        expected = {v for s in scopes for v in versions.get(s, ()) if v > replica.wire.after}
        missed = expected - replica.wire.seen
        assert not missed, f"{replica.name} never saw versions {sorted(missed)[:10]}"
        assert replica.wire.seen == expected, replica.name
    print(
        f"replicas={len(replicas)} pushers={len(pushers)} mutations={queued} outcomes={outcomes} "
        f"pulls={sum(r.wire.pulls for r in replicas)} retries={sum(r.client.transport.retries for r in replicas)} "
        f"changes_in_day_scope={len(versions.get(DAY_SCOPE, ()))} seconds={time.monotonic() - started:.1f}"
    )

    # Concurrent first check-ins of one client and day must merge, not be rejected as `duplicate`.
    assert outcomes.get("applied", 0) == queued, f"outcomes {outcomes}, {queued} queued"


# --- 2. the head lock orders commits ----------------------------------------------------------------------


def paiva_principal() -> Principal:
    """paiva as the API would resolve her: unit staff of the day-activity unit, on a personal device."""
    return Principal(
        device_id=uuid.uuid4(),
        device_kind="personal",
        device_unit_id=None,
        user_id=demo_id("user", "paiva"),
        username="paiva",
        grants=(Grant(role="unit_staff", unit_id=uuid.UUID(DAY_UNIT)),),
    )


async def _pull_all(
    sessions: async_sessionmaker[AsyncSession], principal: Principal, cookie: str | None
) -> tuple[str, list[Any]]:
    """Pull until `has_more` is false, each page in its own session and transaction, as the API does."""
    ops: list[Any] = []
    while True:
        async with sessions() as session:
            request = PullRequest(protocol=PROTOCOL_VERSION, client_id=PULLER_ID, cookie=cookie)
            page, _ = await pull(session, principal, request, cookie_key=b"test")
            await session.commit()
        ops += page.ops
        cookie = page.cookie
        if not page.has_more:
            return cookie, ops


def _probes(ops: list[Any]) -> dict[str, int]:
    return {op.id: op.version for op in ops if isinstance(op, PutOp) and op.type == "probe"}


def _put(session_changes: ChangeSet, name: str) -> None:
    session_changes.put("probe", name, {"name": name}, [DAY_SCOPE])


@pytest.mark.parametrize("backend", ["postgres"])
async def test_a_writer_waits_for_the_head_lock_and_no_pull_skips_it(demo) -> None:
    engine = create_engine(demo)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    principal = paiva_principal()
    try:
        cookie, _ = await _pull_all(sessions, principal, None)
        async with sessions() as a, sessions() as b:
            changes_a = ChangeSet()
            _put(changes_a, "from-a")
            await changes_a.flush(a)  # A holds the head lock, uncommitted

            async def write_b() -> int:
                changes_b = ChangeSet()
                _put(changes_b, "from-b")
                await changes_b.flush(b)
                await b.commit()
                assert changes_b.last_version is not None
                return changes_b.last_version

            b_task = asyncio.create_task(write_b())
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(asyncio.shield(b_task), timeout=0.5)
            assert not b_task.done(), "B numbered its changes while A held the head lock"

            # A pull now sees neither A (uncommitted) nor B (blocked on the head lock).
            between, ops = await _pull_all(sessions, principal, cookie)
            assert _probes(ops) == {}

            await a.commit()
            version_b = await asyncio.wait_for(b_task, timeout=10)
            assert changes_a.last_version is not None and version_b > changes_a.last_version

        _, ops = await _pull_all(sessions, principal, between)
        assert _probes(ops) == {"from-a": changes_a.last_version, "from-b": version_b}
    finally:
        await engine.dispose()


# --- 3. property: a pull never skips ----------------------------------------------------------------------


async def test_concurrent_writers_and_a_looping_puller_miss_nothing(backend, demo, long_run) -> None:
    writers, transactions = 8, (60 if long_run else 12)
    engine = create_engine(demo)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    principal = paiva_principal()
    seen: list[int] = []
    writing = asyncio.Event()
    writing.set()
    pulls = 0

    async def writer(n: int) -> None:
        rng = random.Random(n)
        for t in range(transactions):
            async with sessions() as session:
                await begin_write(session)
                changes = ChangeSet()
                for k in range(rng.randrange(1, 4)):
                    # Mostly new records; some are shared between writers, so updates race too.
                    name = f"w{n}-t{t}-{k}" if rng.random() < 0.7 else f"shared-{n % 2}-{k}"
                    changes.put("probe", name, {"writer": n, "t": t}, [DAY_SCOPE])
                await changes.flush(session)
                await asyncio.sleep(rng.uniform(0, 0.01))  # hold the transaction open a little
                await session.commit()

    async def pull_loop(cookie: str) -> None:
        nonlocal pulls
        while True:
            last_round = not writing.is_set()
            cookie, ops = await _pull_all(sessions, principal, cookie)
            pulls += 1
            seen.extend(op.version for op in ops if isinstance(op, PutOp | DelOp))
            if last_round:
                return
            await asyncio.sleep(0)

    async def writes() -> None:
        try:
            await asyncio.gather(*(writer(n) for n in range(writers)))
        finally:
            writing.clear()

    try:
        cookie, _ = await _pull_all(sessions, principal, None)
        start = peek_cookie(cookie).v
        await asyncio.wait_for(asyncio.gather(writes(), pull_loop(cookie)), timeout=90)
        async with sessions() as session:
            expected = set(
                (
                    await session.execute(
                        select(ChangeScope.version).where(
                            ChangeScope.scope == DAY_SCOPE, ChangeScope.version > start
                        )
                    )
                ).scalars()
            )
            state = (
                await session.execute(
                    text("SELECT count, checksum FROM scope_state WHERE scope = :s"), {"s": DAY_SCOPE}
                )
            ).one()
            keys = (
                await session.execute(
                    text(
                        "SELECT r.record_type, r.record_id, r.version FROM record_scopes rs JOIN sync_records r "
                        "ON r.record_type = rs.record_type AND r.record_id = rs.record_id WHERE rs.scope = :s"
                    ),
                    {"s": DAY_SCOPE},
                )
            ).all()
    finally:
        await engine.dispose()
    # The scope's O(1) checksum still describes exactly its records, however the updates raced.
    assert (state[0], format_checksum(from_signed64(state[1]))) == (
        len(keys),
        ScopeChecksum.from_records(keys).hex,
    )
    assert expected, "the writers wrote nothing"
    assert len(seen) == len(set(seen)), "a change came twice"
    assert set(seen) == expected, (
        f"skipped {sorted(expected - set(seen))[:10]}, extra {sorted(set(seen) - expected)[:10]}"
    )
    print(f"{backend}: writers={writers} changes={len(expected)} pulls={pulls}")
