"""The cheap paths of a pull answer exactly what the full path answers (protocol §4), on both engines.

`server/sync/pull.py` skips the change-log query when the cookie is at the head version, skips the
outcomes query when `last_seq` has not moved, and keeps scope summaries per head version. Each answer
here is checked against an oracle computed straight from the tables (`sync_mutations`, `sync_records`,
`record_scopes`), not against the server's own bookkeeping. The principal is checked on every call:
sign-out, device revocation, deactivation and role changes made directly in the database still bite.
"""

from __future__ import annotations

import uuid

import msgspec
from sqlalchemy import delete, insert, select, update

from server.accounts.models import RoleAssignment, User
from server.clock import today_in_finland
from server.demo import DEMO_DAY_UNIT, demo_id
from server.reference.models import reference_id
from server.sync import pull as pull_module
from server.sync.cookie import Snapshot, peek_cookie
from server.sync.models import RecordScope, Replica, SyncHead, SyncMutation, SyncRecord
from sync_protocol.checksum import compute_checksum
from sync_protocol.messages import PutOp
from tests.conftest import bearer, sign_in
from tests.sync.test_protocol import PULL, PUSH, check_in, client_of_unit, pull_all, pull_body, push_body

DAY_UNIT = str(reference_id("unit", DEMO_DAY_UNIT))
UNIT_SCOPE = f"unit:{DAY_UNIT}"
PAIVA = demo_id("user", "paiva")


async def staff(client) -> tuple[dict, str, str]:
    """Headers, a new client id, and the id of the new personal device `paiva` signed in on."""
    device_id = str(uuid.uuid4())
    token = (await sign_in(client, "paiva", device_id=device_id))["access_token"]
    return bearer(token), str(uuid.uuid4()), device_id


def rejected_check_in(seq: int) -> dict:
    bad = {**check_in(seq), "name": "attendance.mark_absent"}
    bad["args"] = {
        "client_id": client_of_unit(),
        "unit_id": DAY_UNIT,
        "date": today_in_finland().isoformat(),
        "reason": "no_such_reason",
    }
    return bad


async def oracle(db, client_id: str, cookie: str | None) -> dict:
    """What a last page must say after `cookie`, from the tables: outcomes, last_seq, scope summaries."""
    await db.rollback()  # a fresh snapshot of the database
    after = peek_cookie(cookie).ls if cookie else 0
    cid = uuid.UUID(client_id)
    last_seq = (await db.execute(select(Replica.last_seq).where(Replica.id == cid))).scalar() or 0
    outcomes = (
        await db.execute(
            select(SyncMutation.id, SyncMutation.status, SyncMutation.code)
            .where(SyncMutation.replica_id == cid, SyncMutation.seq > after, SyncMutation.status != "applied")
            .order_by(SyncMutation.seq)
        )
    ).all()
    head = (await db.execute(select(SyncHead.version))).scalar_one()
    return {
        "last_seq": last_seq,
        "outcomes": [{"id": str(i), "status": s, "code": c} for i, s, c in outcomes],
        "head": head,
    }


async def checksums(db, scopes) -> dict:
    """Each scope's summary recomputed from `sync_records` ⋈ `record_scopes`."""
    await db.rollback()
    out = {}
    for scope in scopes:
        rows = (
            await db.execute(
                select(SyncRecord.record_type, SyncRecord.record_id, SyncRecord.version)
                .join(
                    RecordScope,
                    (RecordScope.record_type == SyncRecord.record_type)
                    & (RecordScope.record_id == SyncRecord.record_id),
                )
                .where(RecordScope.scope == scope)
            )
        ).all()
        summary = compute_checksum(rows).summary()
        out[scope] = {"checksum": summary.checksum, "count": summary.count}
    return out


def brief(page: dict) -> dict:
    return {
        "last_seq": page["last_seq"],
        "outcomes": [{"id": o["id"], "status": o["status"], "code": o.get("code")} for o in page["outcomes"]],
    }


async def test_nothing_new_is_the_same_cookie_and_the_true_summaries(client, db):
    headers, cid, _ = await staff(client)
    pages, cookie = await pull_all(client, headers, cid)
    for _ in range(3):
        r = await client.post(PULL, headers=headers, json=pull_body(cid, cookie))
        assert r.status_code == 200, r.text
        page = r.json()
        assert page["ops"] == [] and page["has_more"] is False and page["reset"] is False
        assert page["cookie"] == cookie
        assert page["scopes"] == pages[-1]["scopes"] == await checksums(db, page["scopes"])
        expected = await oracle(db, cid, cookie)
        assert brief(page) == {"last_seq": expected["last_seq"], "outcomes": expected["outcomes"]}
        assert peek_cookie(page["cookie"]).v == expected["head"]


async def test_rejection_without_changes_reaches_a_pull_at_the_head(client, db):
    """A push that only rejects moves `last_seq` but not the head: the outcome must still come."""
    headers, cid, _ = await staff(client)
    pages, cookie = await pull_all(client, headers, cid)
    head = (await oracle(db, cid, cookie))["head"]
    bad = rejected_check_in(1)
    r = (await client.post(PUSH, headers=headers, json=push_body(cid, [bad]))).json()
    assert r["results"][0]["status"] == "rejected" and r["last_seq"] == 1
    expected = await oracle(db, cid, cookie)
    assert expected["head"] == head  # nothing changed: the change-log query is skipped

    page = (await client.post(PULL, headers=headers, json=pull_body(cid, cookie))).json()
    assert page["ops"] == [] and not page["has_more"]
    assert brief(page) == {"last_seq": 1, "outcomes": expected["outcomes"]}
    assert [o["id"] for o in page["outcomes"]] == [bad["id"]] and page["outcomes"][0][
        "code"
    ] == "invalid_code"
    assert page["scopes"] == pages[-1]["scopes"] == await checksums(db, page["scopes"])
    after = peek_cookie(page["cookie"])
    assert (after.v, after.ls, after.snap) == (head, 1, None)

    # The same old cookie again (a lost response): the rejection again. The new cookie: nothing.
    again = (await client.post(PULL, headers=headers, json=pull_body(cid, cookie))).json()
    assert brief(again) == brief(page) and again["cookie"] == page["cookie"]
    quiet = (await client.post(PULL, headers=headers, json=pull_body(cid, page["cookie"]))).json()
    assert quiet["outcomes"] == [] and quiet["ops"] == [] and quiet["last_seq"] == 1
    assert quiet["cookie"] == page["cookie"]


async def test_summaries_follow_the_head_after_an_applied_push(client, db):
    headers, cid, _ = await staff(client)
    pages, cookie = await pull_all(client, headers, cid)
    before = pages[-1]["scopes"]
    batch = [check_in(1, 0), rejected_check_in(2), check_in(3, 1)]
    r = (await client.post(PUSH, headers=headers, json=push_body(cid, batch))).json()
    assert [x["status"] for x in r["results"]] == ["applied", "rejected", "applied"]

    page = (await client.post(PULL, headers=headers, json=pull_body(cid, cookie))).json()
    assert not page["has_more"]
    assert len([op for op in page["ops"] if op["type"] == "attendance"]) == 2
    expected = await oracle(db, cid, cookie)
    assert brief(page) == {"last_seq": 3, "outcomes": expected["outcomes"]}
    assert [o["id"] for o in page["outcomes"]] == [batch[1]["id"]]
    truth = await checksums(db, page["scopes"])
    assert page["scopes"] == truth and truth[UNIT_SCOPE] != before[UNIT_SCOPE]
    # And at the new head, from the cache this time, the same figures.
    quiet = (await client.post(PULL, headers=headers, json=pull_body(cid, page["cookie"]))).json()
    assert quiet["ops"] == [] and quiet["outcomes"] == [] and quiet["scopes"] == truth


async def test_cached_summaries_equal_the_full_read(client, db):
    """The per-version cache, emptied, gives the same answer it gave warm."""
    headers, cid, _ = await staff(client)
    _, cookie = await pull_all(client, headers, cid)
    warm = (await client.post(PULL, headers=headers, json=pull_body(cid, cookie))).json()
    pull_module._summary_cache.clear()
    cold = (await client.post(PULL, headers=headers, json=pull_body(cid, cookie))).json()
    for page in (warm, cold):
        page.pop("server_time")
    assert warm == cold


async def test_another_users_client_id_is_still_refused_on_the_cheap_path(client):
    headers, cid, _ = await staff(client)
    _, cookie = await pull_all(client, headers, cid)
    other = bearer((await sign_in(client, "ohjaaja", device_id=str(uuid.uuid4())))["access_token"])
    r = await client.post(PULL, headers=other, json=pull_body(cid, cookie))
    assert r.status_code == 403 and r.json()["code"] == "client_mismatch"


async def test_snapshot_pages_stay_under_the_budget_and_end_exact(client, monkeypatch):
    """Estimated page sizes are upper bounds: every page's ops encode within budget + one op."""
    budget = 8192
    real_pull = pull_module.pull

    async def small_pages(session, principal, request, page_bytes=budget, **keys):
        return await real_pull(session, principal, request, page_bytes=budget, **keys)

    from server.sync import controllers

    monkeypatch.setattr(controllers, "pull", small_pages)
    headers, cid, _ = await staff(client)
    pages, _ = await pull_all(client, headers, cid)
    assert len(pages) > 2
    seen: set[tuple[str, str]] = set()
    for page in pages:
        sizes = [len(msgspec.json.encode(op)) for op in page["ops"]]
        assert sum(sizes) <= budget + max(sizes, default=0)
        keys = [(op["type"], op["id"]) for op in page["ops"] if op["op"] == "put"]
        assert not seen & set(keys), "a record came twice in one snapshot"
        seen |= set(keys)
    assert pages[-1]["scopes"][UNIT_SCOPE]["count"] > 0


def test_batch_size_follows_the_room_left_on_the_page():
    page = pull_module.Page(budget=10_000)
    assert pull_module._batch_size(page) == pull_module.SNAPSHOT_BATCH
    for _ in range(10):
        page.add(pull_module.PurgeOp(scope="x"), 100)
    assert pull_module._batch_size(page) == 91  # 9,000 bytes left at 100 a record, and one more
    page.add(pull_module.PurgeOp(scope="x"), 8_990)
    assert pull_module._batch_size(page) == pull_module.MIN_SNAPSHOT_BATCH


def test_put_size_from_stored_text_matches_the_encoded_op():
    """Exact for JSON as the column stores it (msgspec's compact JSON; `json.dumps` in older rows, over by
    its escapes); under by one byte only for each `", "` / `": "` inside a string value."""
    import json

    data = {"name": "Äiti Öberg", "n": 1.5, "nested": {"a": [1, 2, None]}, "note": 'quote " and \\'}
    for version in (1, 2**62):
        op = PutOp(
            type="client", id=str(uuid.uuid4()), version=version, scopes=["ref", UNIT_SCOPE], data=data
        )
        actual = len(msgspec.json.encode(op))
        for text in (json.dumps(data), json.dumps(data, separators=(",", ":"))):
            estimate = pull_module._put_size(op.type, op.id, version, op.scopes, text)
            assert actual <= estimate <= actual + 4 * 4  # four escaped letters, 4 bytes longer each
        stored = msgspec.json.encode(data).decode()  # what server.db.JSON_CODEC writes now
        assert pull_module._put_size(op.type, op.id, version, op.scopes, stored) == actual
    plain = {"date": "2026-01-01", "checked_in_at": "2026-01-01T08:05:00+02:00", "absent_reason": None}
    op = PutOp(type="attendance", id=str(uuid.uuid4()), version=12345, scopes=[UNIT_SCOPE], data=plain)
    text = json.dumps(plain)
    assert pull_module._put_size(op.type, op.id, 12345, op.scopes, text) == len(msgspec.json.encode(op))
    inner = {"address": "Kauppakatu 1, Oulu", "note": "a: b"}
    op = PutOp(type="client", id="x", version=1, scopes=[], data=inner)
    assert pull_module._put_size("client", "x", 1, [], json.dumps(inner)) == len(msgspec.json.encode(op)) - 2


async def test_snapshot_keys_merge_scopes_in_key_order(db):
    """Batches over several scopes: every key once, in (type, id) order, a shared key not repeated."""
    rows = [
        ("s:a", "t1", "1"),
        ("s:a", "t1", "3"),
        ("s:b", "t1", "2"),
        ("s:b", "t1", "3"),
        ("s:a", "t2", "1"),
        ("s:b", "t0", "9"),
        ("s:c", "t9", "9"),
    ]
    await db.execute(
        insert(RecordScope), [{"scope": s, "record_type": t, "record_id": i} for s, t, i in rows]
    )
    await db.commit()
    snap = Snapshot(scopes=["s:a", "s:b"])
    got: list[tuple[str, str]] = []
    while True:
        batch = (await db.execute(pull_module._next_keys(snap, 3))).all()
        got += [tuple(k) for k in batch]
        if len(batch) < 3:
            break
        snap.after_type, snap.after_id = batch[-1]
    assert got == sorted({(t, i) for s, t, i in rows if s in ("s:a", "s:b")})


# --- the principal: checked on every call -------------------------------------------------------------


async def test_sign_out_ends_access_at_once(client):
    headers, cid, _ = await staff(client)
    _, cookie = await pull_all(client, headers, cid)
    assert (await client.post("/api/auth/logout", headers=headers)).status_code == 204
    r = await client.post(PULL, headers=headers, json=pull_body(cid, cookie))
    assert r.status_code == 401 and r.json()["code"] == "unauthenticated"


async def test_revoked_device_is_told_at_once(client):
    headers, cid, device_id = await staff(client)
    _, cookie = await pull_all(client, headers, cid)
    assert (await client.post(PULL, headers=headers, json=pull_body(cid, cookie))).status_code == 200
    admin = bearer((await sign_in(client, "admin"))["access_token"])
    assert (await client.post(f"/api/admin/devices/{device_id}/revoke", headers=admin)).status_code == 200
    r = await client.post(PULL, headers=headers, json=pull_body(cid, cookie))
    assert r.status_code == 403 and r.json()["code"] == "device_revoked"


async def test_changes_made_in_the_database_take_effect_on_the_next_call(client, db):
    """Roles and deactivation written by SQL (another process, an operator) are seen at once."""
    headers, cid, _ = await staff(client)
    _, cookie = await pull_all(client, headers, cid)
    roles = (await db.execute(select(RoleAssignment).where(RoleAssignment.user_id == PAIVA))).scalars().all()
    kept = [(r.role, r.area_id, r.unit_id) for r in roles]
    await db.execute(delete(RoleAssignment).where(RoleAssignment.user_id == PAIVA))
    await db.commit()
    pages, cookie = await pull_all(client, headers, cid, cookie)
    assert {"op": "purge", "scope": UNIT_SCOPE} in [op for p in pages for op in p["ops"]]
    assert UNIT_SCOPE not in pages[-1]["scopes"]

    await db.execute(
        insert(RoleAssignment),
        [{"id": uuid.uuid4(), "user_id": PAIVA, "role": r, "area_id": a, "unit_id": u} for r, a, u in kept],
    )
    await db.commit()
    pages, cookie = await pull_all(client, headers, cid, cookie)
    assert UNIT_SCOPE in pages[-1]["scopes"] and pages[-1]["scopes"][UNIT_SCOPE]["count"] > 0

    await db.execute(update(User).where(User.id == PAIVA).values(active=False))
    await db.commit()
    r = await client.post(PULL, headers=headers, json=pull_body(cid, cookie))
    assert r.status_code == 401


async def test_a_pull_with_nothing_new_is_one_statement(client, app, backend, db):
    """The head and the client row, read together; no change-log, outcomes or summaries query; and on
    SQLite no read snapshot is left open behind it."""
    from sqlalchemy import event, text

    headers, cid, _ = await staff(client)
    _, cookie = await pull_all(client, headers, cid)
    await client.post(PULL, headers=headers, json=pull_body(cid, cookie))  # the summaries are cached now
    engine = app.state.kaari.engine.sync_engine
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        page = (await client.post(PULL, headers=headers, json=pull_body(cid, cookie))).json()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert page["ops"] == [] and page["cookie"] == cookie
    assert len([s for s in seen if "auth_sessions" in s]) == 1  # the live-session check, every call
    reads = [s for s in seen if "auth_sessions" not in s and "FROM" in s]
    assert len(reads) == 1 and "sync_head" in reads[0] and "sync_clients" in reads[0], reads
    if backend == "sqlite":
        await db.rollback()
        busy, _, _ = (await db.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))).one()
        assert busy == 0  # nothing holds a read snapshot


async def test_a_rejection_still_comes_once_the_summaries_are_warm(client, db):
    """Warm the summaries at the head, then reject a mutation (head unchanged): the old cookie's pull
    must read the outcomes (last_seq moved) and carry the rejection."""
    headers, cid, _ = await staff(client)
    _, cookie = await pull_all(client, headers, cid)
    for _ in range(2):
        assert (await client.post(PULL, headers=headers, json=pull_body(cid, cookie))).json()[
            "cookie"
        ] == cookie
    bad = rejected_check_in(1)
    await client.post(PUSH, headers=headers, json=push_body(cid, [bad]))
    page = (await client.post(PULL, headers=headers, json=pull_body(cid, cookie))).json()
    assert [o["id"] for o in page["outcomes"]] == [bad["id"]] and page["last_seq"] == 1
    assert page["cookie"] != cookie and peek_cookie(page["cookie"]).ls == 1
