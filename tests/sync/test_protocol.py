"""One test per rule of the sync protocol (SYNC_PROTOCOL.md §3, §4, §7), on SQLite and PostgreSQL."""

from __future__ import annotations

import functools
import uuid
from datetime import UTC, datetime, timedelta

import msgspec
from sqlalchemy import delete, func, select, update

from server.accounts.models import RoleAssignment
from server.clock import today_in_finland
from server.demo import DEMO_DAY_UNIT, demo_id
from server.reference.models import reference_id
from server.sync import controllers
from server.sync.models import SyncHead, SyncMutation
from server.sync.pull import pull as server_pull
from sync_protocol.client import MemoryStore, Replica, login
from sync_protocol.messages import MAX_PUSH_BYTES
from tests.conftest import bearer, sign_in

DAY_UNIT = str(reference_id("unit", DEMO_DAY_UNIT))
UNIT_SCOPE = f"unit:{DAY_UNIT}"
PUSH, PULL = "/api/sync/v1/push", "/api/sync/v1/pull"


def client_of_unit(n: int = 0) -> str:
    return str(demo_id("client", f"{DEMO_DAY_UNIT}:{n}"))


def check_in(seq: int, n: int = 0, mutation_id: str | None = None, **over) -> dict:
    today = today_in_finland().isoformat()
    return {
        "id": mutation_id or str(uuid.uuid4()),
        "seq": seq,
        "name": "attendance.check_in",
        "version": 1,
        "args": {
            "client_id": client_of_unit(n),
            "unit_id": DAY_UNIT,
            "date": today,
            "at": datetime.now(UTC).isoformat(),
        },
        **over,
    }


def push_body(client_id: str, mutations: list[dict], protocol: int = 1) -> dict:
    return {
        "protocol": protocol,
        "client_id": client_id,
        "app_build": "t",
        "schema_version": 1,
        "mutations": mutations,
    }


def pull_body(client_id: str, cookie: str | None = None, **extra) -> dict:
    return {"protocol": 1, "client_id": client_id, "cookie": cookie, "schema_version": 1, **extra}


async def staff(client, username: str = "paiva") -> tuple[dict, str]:
    token = (await sign_in(client, username, device_id=str(uuid.uuid4())))["access_token"]
    return bearer(token), str(uuid.uuid4())


async def pull_all(client, headers, client_id, cookie=None, **extra) -> tuple[list[dict], str]:
    pages = []
    while True:
        r = await client.post(PULL, headers=headers, json=pull_body(client_id, cookie, **extra))
        assert r.status_code == 200, r.text
        page = r.json()
        pages.append(page)
        cookie = page["cookie"]
        extra = {}
        if not page["has_more"]:
            return pages, cookie


async def test_replay_returns_stored_outcomes_and_changes_nothing(client, db):
    headers, cid = await staff(client)
    batch = [check_in(1, 0), check_in(2, 1)]
    first = await client.post(PUSH, headers=headers, json=push_body(cid, batch))
    assert first.status_code == 200 and [r["status"] for r in first.json()["results"]] == ["applied"] * 2
    head = (await db.execute(select(SyncHead.version))).scalar_one()
    again = await client.post(PUSH, headers=headers, json=push_body(cid, batch))
    assert again.status_code == 200
    assert again.json()["results"] == first.json()["results"] and again.json()["last_seq"] == 2
    await db.rollback()
    assert (await db.execute(select(SyncHead.version))).scalar_one() == head
    count = (await db.execute(select(func.count()).where(SyncMutation.replica_id == uuid.UUID(cid)))).scalar()
    assert count == 2


async def test_seq_gap_reports_expected_seq_after_processed_results(client):
    headers, cid = await staff(client)
    r = await client.post(PUSH, headers=headers, json=push_body(cid, [check_in(1), check_in(2), check_in(4)]))
    body = r.json()
    assert r.status_code == 200
    assert [x["seq"] for x in body["results"]] == [1, 2] and body["last_seq"] == 2
    assert body["error"]["code"] == "seq_gap" and body["error"]["expected_seq"] == 3


async def test_seq_reused_is_409(client):
    headers, cid = await staff(client)
    assert (await client.post(PUSH, headers=headers, json=push_body(cid, [check_in(1)]))).status_code == 200
    r = await client.post(PUSH, headers=headers, json=push_body(cid, [check_in(1)]))
    assert r.status_code == 409 and r.json()["code"] == "seq_reused"


async def test_rejection_advances_last_seq_and_reaches_every_pull(client):
    headers, cid = await staff(client)
    _, cookie = await pull_all(client, headers, cid)
    bad = {**check_in(1), "name": "attendance.mark_absent"}
    bad["args"] = {
        "client_id": client_of_unit(),
        "unit_id": DAY_UNIT,
        "date": today_in_finland().isoformat(),
        "reason": "no_such_reason",
    }
    r = (await client.post(PUSH, headers=headers, json=push_body(cid, [bad]))).json()
    assert r["last_seq"] == 1 and r["results"][0]["status"] == "rejected"
    assert r["results"][0]["code"] == "invalid_code"
    pages, _ = await pull_all(client, headers, cid, cookie)
    assert [o["id"] for p in pages for o in p["outcomes"]] == [bad["id"]] and pages[-1]["last_seq"] == 1
    fresh, _ = await pull_all(client, headers, cid, None)
    assert bad["id"] in {o["id"] for p in fresh for o in p["outcomes"]}


async def test_unknown_mutation_and_invalid_args_are_rejected_not_dropped(client):
    headers, cid = await staff(client)
    unknown = {**check_in(1), "name": "attendance.teleport"}
    newer = {**check_in(2), "version": 99}
    invalid = check_in(3)
    invalid["args"] = {**invalid["args"], "date": "not-a-date"}
    r = (await client.post(PUSH, headers=headers, json=push_body(cid, [unknown, newer, invalid]))).json()
    assert [(x["status"], x["code"]) for x in r["results"]] == [
        ("rejected", "unknown_mutation"),
        ("rejected", "unknown_mutation"),
        ("rejected", "invalid_args"),
    ]
    assert r["last_seq"] == 3


async def test_500_mutations_accepted_501_too_large(client):
    headers, cid = await staff(client)
    too_many = [check_in(s, s % 20) for s in range(1, 502)]
    r = await client.post(PUSH, headers=headers, json=push_body(cid, too_many))
    assert r.status_code == 413 and r.json()["code"] == "too_large"
    r = await client.post(PUSH, headers=headers, json=push_body(cid, too_many[:500]))
    assert r.status_code == 200 and r.json()["last_seq"] == 500


async def test_body_over_one_mib_is_413(client):
    headers, cid = await staff(client)
    raw = msgspec.json.encode(push_body(cid, [check_in(1)]))
    exact = raw + b" " * (MAX_PUSH_BYTES - len(raw))
    ok = await client.post(PUSH, headers={**headers, "Content-Type": "application/json"}, content=exact)
    assert ok.status_code == 200, ok.text
    over = raw + b" " * (MAX_PUSH_BYTES + 1 - len(raw))
    r = await client.post(PUSH, headers={**headers, "Content-Type": "application/json"}, content=over)
    assert r.status_code == 413 and r.json()["code"] == "too_large"


async def test_msgpack_request_gets_msgpack_answer(client):
    headers, cid = await staff(client)
    body = msgspec.msgpack.encode(push_body(cid, [check_in(1)]))
    r = await client.post(PUSH, headers={**headers, "Content-Type": "application/msgpack"}, content=body)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/msgpack")
    assert msgspec.msgpack.decode(r.content)["results"][0]["status"] == "applied"


async def test_paged_first_sync_ends_exact(client, monkeypatch):
    monkeypatch.setattr(controllers, "pull", functools.partial(server_pull, page_bytes=2048))
    credentials = await login(client, "paiva", "demo")
    tablet = Replica(MemoryStore(), credentials, http=client)
    flags = []
    apply = tablet.store.apply_page

    def spy(page, **kw):
        flags.append(page.has_more)
        return apply(page, **kw)

    tablet.store.apply_page = spy
    report = await tablet.pull()
    assert report.pages > 3 and flags[-1] is False and all(flags[:-1])
    assert report.mismatched == []


async def test_cookie_before_compaction_gets_reset_snapshot(client, db):
    credentials = await login(client, "paiva", "demo")
    tablet = Replica(MemoryStore(), credentials, http=client)
    await tablet.pull()
    before = len(tablet.store.records())
    head = (await db.execute(select(SyncHead.version))).scalar_one()
    await db.execute(update(SyncHead).values(compacted_before=head + 1))
    await db.commit()
    report = await tablet.pull()
    assert report.reset and report.mismatched == [] and len(tablet.store.records()) == before


async def test_resync_scope_purges_and_resends_that_scope_only(client):
    headers, cid = await staff(client)
    _, cookie = await pull_all(client, headers, cid)
    pages, _ = await pull_all(client, headers, cid, cookie, resync_scopes=[UNIT_SCOPE])
    ops = [op for p in pages for op in p["ops"]]
    assert ops[0] == {"op": "purge", "scope": UNIT_SCOPE}
    puts = [op for op in ops if op["op"] == "put"]
    assert puts and all(UNIT_SCOPE in op["scopes"] for op in puts)
    assert not [op for op in ops[1:] if op["op"] == "purge"]


async def test_removed_scope_is_purged(client, db):
    headers, cid = await staff(client)
    _, cookie = await pull_all(client, headers, cid)
    await db.execute(delete(RoleAssignment).where(RoleAssignment.user_id == demo_id("user", "paiva")))
    await db.commit()
    pages, _ = await pull_all(client, headers, cid, cookie)
    assert {"op": "purge", "scope": UNIT_SCOPE} in [op for p in pages for op in p["ops"]]
    assert UNIT_SCOPE not in pages[-1]["scopes"]


async def test_protocol_2_is_upgrade_required(client):
    headers, cid = await staff(client)
    for path, body in (
        (PUSH, push_body(cid, [check_in(1)], protocol=2)),
        (PULL, {**pull_body(cid), "protocol": 2}),
    ):
        r = await client.post(path, headers=headers, json=body)
        assert r.status_code == 426 and r.json()["code"] == "upgrade_required", path


_ = timedelta
