"""Poison requests found by the security probe (issue 15): each one answers a clear 4xx or a per-mutation
rejection, the same on SQLite and PostgreSQL, never a 500 that a device would retry for ever."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from server.sync.models import SyncMutation
from sync_protocol.catalog import MAX_ARGS_DEPTH
from tests.sync.domain_helpers import contact_args, envelope
from tests.sync.test_protocol import PULL, PUSH, check_in, pull_body, push_body, staff


async def counsellor(client) -> tuple[dict, str]:
    return await staff(client, "ohjaaja")


async def test_the_same_mutation_id_twice_in_one_batch_is_refused_per_mutation(client):
    headers, client_id = await staff(client)
    same = str(uuid.uuid4())
    r = await client.post(
        PUSH, headers=headers, json=push_body(client_id, [check_in(1, 0, same), check_in(2, 1, same)])
    )
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["applied", "rejected"]
    assert results[1]["code"] == "duplicate_id"


async def test_a_mutation_id_used_by_another_client_is_refused_per_mutation(client):
    headers, first = await staff(client)
    _, second = await staff(client)
    same = str(uuid.uuid4())
    assert (
        await client.post(PUSH, headers=headers, json=push_body(first, [check_in(1, 0, same)]))
    ).status_code == 200
    r = await client.post(PUSH, headers=headers, json=push_body(second, [check_in(1, 1, same)]))
    assert r.status_code == 200, r.text
    assert r.json()["results"][0]["code"] == "duplicate_id"
    # The queue moved on: the next mutation of that client runs.
    r = await client.post(PUSH, headers=headers, json=push_body(second, [check_in(2, 1)]))
    assert r.json()["results"][0]["status"] == "applied"


async def test_an_over_long_app_build_is_a_clear_400(client):
    headers, client_id = await staff(client)
    body = push_body(client_id, [check_in(1)]) | {"app_build": "x" * 65}
    r = await client.post(PUSH, headers=headers, json=body)
    assert r.status_code == 400 and r.json()["code"] == "invalid_request", r.text
    health = pull_body(client_id, health={"app_build": "y" * 65})
    r = await client.post(PULL, headers=headers, json=health)
    assert r.status_code == 400 and r.json()["code"] == "invalid_request", r.text


async def test_an_over_long_unknown_mutation_name_is_rejected_and_the_queue_moves_on(client, db):
    headers, client_id = await staff(client)
    long_name = "x." + "y" * 198  # 200: the envelope's limit, past the column's 64
    r = await client.post(
        PUSH,
        headers=headers,
        json=push_body(client_id, [check_in(1) | {"name": long_name}, check_in(2)]),
    )
    assert r.status_code == 200, r.text
    first, second = r.json()["results"]
    assert first["status"] == "rejected" and first["code"] == "unknown_mutation"
    assert second["status"] == "applied"
    stored = (await db.execute(select(SyncMutation.name).where(SyncMutation.seq == 1))).scalars().all()
    assert all(len(name) <= 64 for name in stored)
    # One past the envelope's limit: a malformed request, refused whole.
    r = await client.post(
        PUSH, headers=headers, json=push_body(client_id, [check_in(3) | {"name": long_name + "z"}])
    )
    assert r.status_code == 400 and r.json()["code"] == "invalid_request", r.text


async def test_a_nul_byte_in_a_mutation_is_rejected_as_invalid_args(client):
    headers, client_id = await counsellor(client)
    mutations = [
        envelope(1, "contact.record", contact_args(note="before\u0000after")),
        envelope(
            2,
            "audit.viewed",
            {
                "entries": [
                    {"client_id": str(uuid.uuid4()), "at": "2026-01-01T10:00:00+02:00", "view": "a\u0000b"}
                ]
            },
        ),
        envelope(3, "contact.record", contact_args()),
    ]
    r = await client.post(PUSH, headers=headers, json=push_body(client_id, mutations))
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["rejected", "rejected", "applied"], results
    assert {results[0]["code"], results[1]["code"]} == {"invalid_args"}


async def test_a_nul_byte_elsewhere_in_a_request_is_a_clear_400(client):
    headers, client_id = await staff(client)
    body = push_body(client_id, [check_in(1)]) | {"app_build": "a\u0000b"}
    r = await client.post(PUSH, headers=headers, json=body)
    assert r.status_code == 400 and r.json()["code"] == "invalid_request", r.text
    r = await client.post("/api/auth/login", json={"username": "paiva\u0000", "password": "demo"})
    assert r.status_code == 400 and r.json()["code"] == "invalid_request", r.text


async def test_deeply_nested_json_is_a_clear_400_and_nesting_past_the_limit_rejects_the_mutation(client):
    headers, client_id = await counsellor(client)
    json = headers | {"content-type": "application/json"}

    def body(note: str) -> str:
        mutation = (
            f'{{"id":"{uuid.uuid4()}","seq":1,"name":"contact.record","version":1,"args":{{"note":{note}}}}}'
        )
        return f'{{"protocol":1,"client_id":"{client_id}","mutations":[{mutation}]}}'

    deep = "[" * 100_000 + "]" * 100_000  # past any parser's recursion: the whole request is refused
    r = await client.post(PUSH, headers=json, content=body(deep))
    assert r.status_code == 400 and r.json()["code"] == "invalid_request", r.text
    # One level past the args limit: that mutation is rejected, the queue moves on.
    nested = "[" * MAX_ARGS_DEPTH + "]" * MAX_ARGS_DEPTH
    r = await client.post(PUSH, headers=json, content=body(nested))
    assert r.status_code == 200, r.text
    result = r.json()["results"][0]
    assert result["code"] == "invalid_args" and "nested deeper" in result["message"], result


async def test_forged_pull_cookies_reset_the_replica(client):
    headers, client_id = await staff(client)
    import base64

    import msgspec

    forged = [
        "AAAA",
        base64.urlsafe_b64encode(msgspec.msgpack.encode([2**64 - 1, ["admin"], 0])).decode(),
        base64.urlsafe_b64encode(msgspec.msgpack.encode([0, ["unit:x"], -(2**63)])).decode(),
        base64.urlsafe_b64encode(msgspec.msgpack.encode([1, [], 0, 1, [["admin"], "t", "i"]])).decode(),
        base64.urlsafe_b64encode(msgspec.msgpack.encode([-1, ["ref"], 2**64 - 1])).decode(),
        "x" * 5000,
    ]
    for cookie in forged:
        r = await client.post(PULL, headers=headers, json=pull_body(client_id, cookie))
        assert r.status_code in (200, 400), (cookie, r.text)
        if r.status_code == 200:
            page = r.json()
            assert page["reset"] is True, (cookie, page)
            assert not any(op.get("scopes") == ["admin"] for op in page["ops"])


async def test_attendance_dated_year_one_is_rejected(client):
    headers, client_id = await staff(client)
    mutation = check_in(1)
    mutation["args"]["date"] = "0001-01-01"
    mutation["args"]["at"] = "0001-01-01T08:00:00+02:00"
    r = await client.post(PUSH, headers=headers, json=push_body(client_id, [mutation]))
    assert r.status_code == 200, r.text
    assert r.json()["results"][0]["status"] == "rejected", r.text


async def test_a_role_added_and_removed_mid_snapshot_ends_in_a_purge_not_a_500(client, db, monkeypatch):
    from sqlalchemy import delete

    from server.accounts.models import RoleAssignment
    from server.demo import DEMO_DAY_UNIT
    from server.reference.models import reference_id
    from server.sync import controllers
    from server.sync import pull as pull_module
    from tests.sync.domain_helpers import user_id

    real_pull = pull_module.pull

    async def small_pages(session, principal, request, page_bytes=0, **keys):
        return await real_pull(session, principal, request, page_bytes=4096, **keys)

    monkeypatch.setattr(controllers, "pull", small_pages)
    headers, client_id = await counsellor(client)
    cookie = None
    while True:
        page = (await client.post(PULL, headers=headers, json=pull_body(client_id, cookie))).json()
        cookie = page["cookie"]
        if not page["has_more"]:
            break
    unit = reference_id("unit", DEMO_DAY_UNIT)
    grant = RoleAssignment(user_id=user_id("ohjaaja"), role="unit_staff", unit_id=unit)
    db.add(grant)
    await db.commit()
    page = (await client.post(PULL, headers=headers, json=pull_body(client_id, cookie))).json()
    assert page["has_more"], "the unit's snapshot should take more than one small page"
    await db.execute(delete(RoleAssignment).where(RoleAssignment.id == grant.id))
    await db.commit()
    r = await client.post(PULL, headers=headers, json=pull_body(client_id, page["cookie"]))
    assert r.status_code == 200, r.text
    assert {"op": "purge", "scope": f"unit:{unit}"} in r.json()["ops"]


async def test_audit_viewed_cannot_flood_the_log(client, db):
    import uuid as uuid_module
    from datetime import UTC, datetime

    from sqlalchemy import func

    from server.access_log.models import AccessLogEntry
    from server.clients import viewed
    from server.demo import DEMO_DAY_UNIT, demo_id

    headers, client_id = await staff(client)
    now = datetime.now(UTC).isoformat()

    def views(ids, n=1):
        return {
            "entries": [{"client_id": str(c), "at": now, "view": "roster"} for c in ids for _ in range(n)]
        }

    def count():
        return db.execute(
            select(func.count()).select_from(AccessLogEntry).where(AccessLogEntry.operation == "view_offline")
        )

    fabricated = views([uuid_module.uuid4() for _ in range(3)])
    own = views([demo_id("client", f"{DEMO_DAY_UNIT}:0")], 500)
    others = [demo_id("client", f"oulu-da-2:{n}") for n in range(viewed.MAX_WITHOUT_BASIS + 1)]
    mutations = [
        envelope(1, "audit.viewed", fabricated),
        envelope(2, "audit.viewed", views(others)),  # one past the clients-without-basis limit
        *[envelope(3 + k, "audit.viewed", own) for k in range(viewed.MAX_PER_DEVICE_HOUR // 500 + 1)],
    ]
    r = await client.post(PUSH, headers=headers, json=push_body(client_id, mutations))
    assert r.status_code == 200, r.text
    codes = [x.get("code") for x in r.json()["results"]]
    assert codes[0] == "unknown_entity" and codes[1] == "forbidden", codes
    # The device's hourly allowance is used up by its own views; the one past it waits.
    assert codes[2:] == [None] * (viewed.MAX_PER_DEVICE_HOUR // 500) + ["rate_limited"], codes
    assert (await count()).scalar_one() == viewed.MAX_PER_DEVICE_HOUR
