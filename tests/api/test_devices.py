"""Enrolling shared tablets, personal devices, and revocation that tells a device to wipe."""

from __future__ import annotations

import uuid

from server.demo import DEMO_DAY_UNIT
from server.reference.models import reference_id
from tests.conftest import bearer, sign_in

DAY_UNIT = str(reference_id("unit", DEMO_DAY_UNIT))


async def enrol_tablet(client, admin_token: str, unit_id: str = DAY_UNIT) -> dict:
    made = await client.post(
        "/api/admin/devices/enrolment-codes",
        headers=bearer(admin_token),
        json={"unit_id": unit_id, "device_name": "Aula-tabletti"},
    )
    assert made.status_code == 201, made.text
    code = made.json()["code"]
    enrolled = await client.post("/api/devices/enroll", json={"code": code.lower()})
    assert enrolled.status_code == 200, enrolled.text
    return {"code": code, **enrolled.json()}


async def test_tablet_enrols_once_and_staff_sign_in_on_it(client):
    admin = await sign_in(client, "admin")
    tablet = await enrol_tablet(client, admin["access_token"])
    assert tablet["unit_id"] == DAY_UNIT and tablet["device_credential"].startswith("kd_")

    again = await client.post("/api/devices/enroll", json={"code": tablet["code"]})
    assert again.status_code == 401 and again.json()["code"] == "invalid_enrolment_code"

    device = bearer(tablet["device_credential"])
    me = await client.get("/api/devices/me", headers=device)
    assert me.json()["kind"] == "shared" and me.json()["unit_id"] == DAY_UNIT

    staff = await client.post(
        "/api/auth/login", headers=device, json={"username": "paiva", "password": "demo"}
    )
    assert staff.status_code == 200 and staff.json()["device_id"] == tablet["device_id"]
    # Staff of another unit has no business on this tablet.
    other = await client.post(
        "/api/auth/login", headers=device, json={"username": "hoiva", "password": "demo"}
    )
    assert other.status_code == 403
    # Without its credential the tablet's id alone does not let anyone in.
    bare = await client.post(
        "/api/auth/login", json={"username": "paiva", "password": "demo", "device_id": tablet["device_id"]}
    )
    assert bare.status_code == 403


async def test_enrolment_needs_admin_and_guessing_is_limited(client):
    staff = await sign_in(client, "paiva")
    refused = await client.post(
        "/api/admin/devices/enrolment-codes",
        headers=bearer(staff["access_token"]),
        json={"unit_id": DAY_UNIT, "device_name": "x"},
    )
    assert refused.status_code == 403
    statuses = [
        (await client.post("/api/devices/enroll", json={"code": f"WRONG-{n:04d}"})).status_code
        for n in range(11)
    ]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429


async def test_personal_device_is_registered_on_first_sign_in_and_kept_to_its_user(client):
    device_id = str(uuid.uuid4())
    first = await sign_in(client, "ohjaaja", device_id=device_id)
    assert first["device_id"] == device_id
    again = await sign_in(client, "ohjaaja", device_id=device_id)
    assert again["device_id"] == device_id
    stolen = await client.post(
        "/api/auth/login", json={"username": "kotas", "password": "demo", "device_id": device_id}
    )
    assert stolen.status_code == 403


async def test_revoked_device_is_told_to_wipe_everywhere(client):
    admin = await sign_in(client, "admin")
    tablet = await enrol_tablet(client, admin["access_token"])
    device = bearer(tablet["device_credential"])
    staff = (
        await client.post("/api/auth/login", headers=device, json={"username": "paiva", "password": "demo"})
    ).json()

    revoked = await client.post(
        f"/api/admin/devices/{tablet['device_id']}/revoke", headers=bearer(admin["access_token"])
    )
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]

    for response in (
        await client.get("/api/auth/me", headers=bearer(staff["access_token"])),
        await client.get("/api/devices/me", headers=device),
        await client.post("/api/auth/refresh", json={"refresh_token": staff["refresh_token"]}),
        await client.post("/api/auth/login", headers=device, json={"username": "paiva", "password": "demo"}),
    ):
        assert response.status_code == 403
        body = response.json()
        assert body["code"] == "device_revoked" and body["wipe"] is True and body["details"]["wipe"] is True


async def test_admin_lists_devices(client):
    admin = await sign_in(client, "admin")
    tablet = await enrol_tablet(client, admin["access_token"])
    listed = (await client.get("/api/admin/devices", headers=bearer(admin["access_token"]))).json()
    assert tablet["device_id"] in {d["id"] for d in listed}
