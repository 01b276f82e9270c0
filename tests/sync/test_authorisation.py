"""Who may push and pull what (SYNC_PROTOCOL.md §2, §4, §7), on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from server.clients.models import ClientUnit
from server.day_activity.models import Attendance
from server.demo import demo_id
from server.sync.models import SyncMutation
from sync_protocol import policies
from sync_protocol.client import Credentials, DeviceRevoked, MemoryStore, Replica, login
from tests.api.test_devices import enrol_tablet
from tests.conftest import bearer, sign_in
from tests.sync.test_protocol import (
    DAY_UNIT,
    PULL,
    PUSH,
    check_in,
    client_of_unit,
    pull_all,
    push_body,
    staff,
)

PAIVA = demo_id("user", "paiva")


async def test_pusher_cannot_write_outside_its_scopes(client, db):
    headers, cid = await staff(client, "hoiva")
    mutation = check_in(1)
    r = (await client.post(PUSH, headers=headers, json=push_body(cid, [mutation]))).json()
    assert r["results"][0]["status"] == "rejected" and r["results"][0]["code"] == "forbidden"
    args = mutation["args"]
    record = policies.attendance_id(args["client_id"], DAY_UNIT, args["date"])
    assert await db.get(Attendance, record) is None


async def test_pull_never_leaves_the_replicas_scopes(client, db):
    headers, cid = await staff(client, "paiva")
    pages, _ = await pull_all(client, headers, cid)
    scopes = set(pages[-1]["scopes"])
    assert scopes == {"ref", f"user:{PAIVA}", f"unit:{DAY_UNIT}"}
    ops = [op for p in pages for op in p["ops"]]
    assert all(set(op["scopes"]) <= scopes for op in ops if op["op"] == "put")
    ours = {
        str(c)
        for c in (
            await db.execute(select(ClientUnit.client_id).where(ClientUnit.unit_id == uuid.UUID(DAY_UNIT)))
        ).scalars()
    }
    clients = {op["id"] for op in ops if op["op"] == "put" and op["type"] == "client"}
    assert clients and clients <= ours


@pytest.mark.parametrize("username", ["paiva", "kotas", "ohjaaja", "admin"])
async def test_a_shared_tablet_holds_only_its_unit_whoever_signs_in(client, username):
    # A coordinator, counsellor or admin signing in on a unit's tablet brings neither the region's queue,
    # an area's clients nor the admin's conflicts onto it (DESIGN.md, "Data on shared tablets").
    admin = await sign_in(client, "admin")
    device = (await enrol_tablet(client, admin["access_token"]))["device_credential"]
    login = await client.post(
        "/api/auth/login", headers=bearer(device), json={"username": username, "password": "demo"}
    )
    assert login.status_code == 200, login.text
    headers, cid = bearer(login.json()["access_token"]), str(uuid.uuid4())
    pages, _ = await pull_all(client, headers, cid)
    # The unit's own staff get the unit; the others, not staff of it, reference data only. Nobody gets their
    # `user:` scope here: a counsellor's contacts and clients live there.
    held = {"ref", f"unit:{DAY_UNIT}"} if username == "paiva" else {"ref"}
    assert set(pages[-1]["scopes"]) == held
    ops = [op for p in pages for op in p["ops"] if op["op"] == "put"]
    assert ops and all(set(op["scopes"]) <= held for op in ops)


async def test_another_users_client_id_is_refused(client):
    paiva, cid = await staff(client, "paiva")
    assert (await client.post(PUSH, headers=paiva, json=push_body(cid, [check_in(1)]))).status_code == 200
    hoiva, _ = await staff(client, "hoiva")
    for path, body in (
        (PUSH, push_body(cid, [check_in(2)])),
        (PULL, {"protocol": 1, "client_id": cid, "cookie": None, "schema_version": 1}),
    ):
        r = await client.post(path, headers=hoiva, json=body)
        assert r.status_code == 403 and r.json()["code"] == "client_mismatch", path


async def _tablet_replica(client) -> tuple[Replica, dict, dict]:
    admin = await sign_in(client, "admin")
    tablet = await enrol_tablet(client, admin["access_token"])
    device = tablet["device_credential"]
    staff_login = await client.post(
        "/api/auth/login", headers=bearer(device), json={"username": "paiva", "password": "demo"}
    )
    assert staff_login.status_code == 200, staff_login.text
    tokens = staff_login.json()
    credentials = Credentials(
        access_token=tokens["access_token"], refresh_token=tokens["refresh_token"], device_token=device
    )
    replica = Replica(MemoryStore(), credentials, http=client)
    await replica.pull()
    return replica, tablet, admin


def queued(replica: Replica) -> dict:
    """The sign-out body the app sends: its replica and the highest seq it has queued."""
    last = max((m.seq for m in replica.store.outbox()), default=replica.store.state().last_seq)
    return {"replicas": [{"client_id": str(replica.client_id), "last_seq": last}]}


async def sign_out(client, replica: Replica, body: dict | None) -> None:
    out = await client.post("/api/auth/logout", headers=bearer(replica.credentials.access_token), json=body)
    assert out.status_code == 204, out.text
    replica.credentials.access_token = None  # signed out: only the tablet's credential is left


async def stored(db, replica: Replica) -> dict[int, SyncMutation]:
    await db.rollback()
    rows = await db.execute(select(SyncMutation).where(SyncMutation.replica_id == replica.client_id))
    return {row.seq: row for row in rows.scalars()}


async def test_device_credential_flushes_what_the_user_queued_before_signing_out(client, db):
    replica, _, _ = await _tablet_replica(client)
    await replica.mutate("attendance.check_in", check_in(1)["args"])
    await sign_out(client, replica, queued(replica))
    report = await replica.push()
    assert report.applied == 1
    row = (await stored(db, replica))[1]
    assert row.status == "applied" and row.user_id == PAIVA


async def test_device_credential_cannot_send_what_was_queued_after_the_sign_out(client, db):
    replica, _, _ = await _tablet_replica(client)
    await replica.mutate("attendance.check_in", check_in(1)["args"])
    await sign_out(client, replica, queued(replica))
    # Whoever holds the tablet now queues in the signed-out user's name: never sent, never applied.
    await replica.mutate("attendance.check_in", check_in(2)["args"])
    report = await replica.push()
    assert (report.applied, report.stopped) == (1, "sign_in_required")
    assert sorted(await stored(db, replica)) == [1]
    assert 2 in [m.seq for m in replica.store.outbox()], "kept for the user's next sign-in"


async def test_a_sign_out_that_named_nothing_lets_the_device_send_nothing(client, db):
    replica, _, _ = await _tablet_replica(client)
    await replica.mutate("attendance.check_in", check_in(1)["args"])
    await sign_out(client, replica, None)
    report = await replica.push()
    assert (report.applied, report.stopped) == (0, "sign_in_required")
    assert await stored(db, replica) == {}


async def test_the_sign_out_bound_cannot_reach_another_users_replica(client, db):
    replica, _, _ = await _tablet_replica(client)
    await replica.mutate("attendance.check_in", check_in(1)["args"])
    other = await sign_in(client, "hoiva")
    out = await client.post("/api/auth/logout", headers=bearer(other["access_token"]), json=queued(replica))
    assert out.status_code == 204
    await sign_out(client, replica, None)
    assert (await replica.push()).applied == 0


@pytest.mark.parametrize("username", ["admin", "kotas"])
async def test_wider_roles_never_act_through_a_shared_tablet(client, db, username):
    # An admin or coordinator signed in on a unit's tablet acts there as nothing: not with their own token,
    # and not through the tablet's credential after they sign out.
    admin = await sign_in(client, "admin")
    device = (await enrol_tablet(client, admin["access_token"]))["device_credential"]
    tokens = (
        await client.post(
            "/api/auth/login", headers=bearer(device), json={"username": username, "password": "demo"}
        )
    ).json()
    credentials = Credentials(
        access_token=tokens["access_token"], refresh_token=tokens["refresh_token"], device_token=device
    )
    replica = Replica(MemoryStore(), credentials, http=client)
    change = {
        "change_id": str(uuid.uuid4()),
        "unit_id": DAY_UNIT,
        "start_date": "2027-01-04",
        "end_date": "2027-01-08",
        "places": -3,
        "reason": "other",
    }
    await replica.mutate("capacity.change", change)
    report = await replica.push()
    assert (report.applied, report.rejected) == (0, 1)
    await replica.mutate("capacity.change", {**change, "change_id": str(uuid.uuid4())})
    await sign_out(client, replica, queued(replica))
    report = await replica.push()
    assert (report.applied, report.rejected) == (0, 1)
    assert {row.code for row in (await stored(db, replica)).values()} == {"forbidden"}


async def test_revoked_device_wipes_the_store_outbox_included(client):
    replica, tablet, admin = await _tablet_replica(client)
    await replica.mutate("attendance.check_in", check_in(1)["args"])
    old_id = replica.client_id
    revoked = await client.post(
        f"/api/admin/devices/{tablet['device_id']}/revoke", headers=bearer(admin["access_token"])
    )
    assert revoked.status_code == 200
    with pytest.raises(DeviceRevoked):
        await replica.push()
    assert replica.store.outbox() == [] and replica.store.records() == []
    assert replica.client_id != old_id


_ = (login, client_of_unit)
