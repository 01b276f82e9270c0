"""The admin gives and takes away roles: effective on the user's next call, refused to everyone else."""

from __future__ import annotations

import uuid

from server.demo import demo_id
from server.reference.models import reference_id
from tests.conftest import bearer, sign_in

OULU = str(reference_id("area", "oulu"))


def roles_path(username: str) -> str:
    return f"/api/admin/users/{demo_id('user', username)}/roles"


async def test_a_role_given_works_at_once_and_a_role_taken_stops_at_once(client):
    admin = bearer((await sign_in(client, "admin"))["access_token"])
    staff = bearer((await sign_in(client, "paiva"))["access_token"])
    worklist = "/api/assessments/deadlines"
    assert (await client.get(worklist, headers=staff)).status_code == 403

    added = await client.post(
        roles_path("paiva"), headers=admin, json={"role": "counsellor", "area_id": OULU}
    )
    assert added.status_code == 200, added.text
    assert {"role": "counsellor", "area_id": OULU, "unit_id": None} in added.json()["roles"]
    again = await client.post(
        roles_path("paiva"), headers=admin, json={"role": "counsellor", "area_id": OULU}
    )
    assert again.json()["roles"] == added.json()["roles"]  # the same grant twice is one grant
    assert (await client.get(worklist, headers=staff)).status_code == 200  # same token, next call

    removed = await client.delete(
        roles_path("paiva"), headers=admin, params={"role": "counsellor", "area_id": OULU}
    )
    assert removed.status_code == 200, removed.text
    assert [r["role"] for r in removed.json()["roles"]] == ["unit_staff"]
    assert (await client.get(worklist, headers=staff)).status_code == 403
    listed = (await client.get("/api/admin/users", headers=admin)).json()
    assert next(u for u in listed if u["username"] == "paiva")["roles"] == removed.json()["roles"]


async def test_only_an_admin_changes_roles(client):
    coordinator = bearer((await sign_in(client, "kotas"))["access_token"])
    added = await client.post(roles_path("kotas"), headers=coordinator, json={"role": "admin"})
    assert added.status_code == 403 and added.json()["code"] == "forbidden"
    removed = await client.delete(roles_path("kotas"), headers=coordinator, params={"role": "coordinator"})
    assert removed.status_code == 403
    me = await client.get("/api/auth/me", headers=coordinator)
    assert [r["role"] for r in me.json()["roles"]] == ["coordinator"]


async def test_bad_grants_get_clear_errors_and_change_nothing(client):
    admin = bearer((await sign_in(client, "admin"))["access_token"])
    unit = str(reference_id("unit", "oulu-da-1"))
    cases = [
        ({"role": "superuser"}, 400, "invalid_request"),
        ({"role": "counsellor", "area_id": OULU, "unit_id": unit}, 400, "invalid_request"),
        ({"role": "counsellor", "area_id": str(uuid.uuid4())}, 400, "unknown_entity"),
        ({"role": "unit_staff", "unit_id": str(uuid.uuid4())}, 400, "unknown_entity"),
        ({"role": "counsellor", "everywhere": True}, 400, None),  # unknown field
    ]
    for body, status, code in cases:
        answer = await client.post(roles_path("hoiva"), headers=admin, json=body)
        assert answer.status_code == status, (body, answer.text)
        if code:
            assert answer.json()["code"] == code, body
    nobody = await client.post(
        f"/api/admin/users/{uuid.uuid4()}/roles", headers=admin, json={"role": "admin"}
    )
    assert nobody.status_code == 404
    missing = await client.delete(roles_path("hoiva"), headers=admin, params={"role": "coordinator"})
    assert missing.status_code == 404
    users = (await client.get("/api/admin/users", headers=admin)).json()
    assert [r["role"] for r in next(u for u in users if u["username"] == "hoiva")["roles"]] == ["unit_staff"]


async def test_an_admin_cannot_remove_their_own_admin_role_but_another_admin_can(client):
    admin = bearer((await sign_in(client, "admin"))["access_token"])
    own = await client.delete(roles_path("admin"), headers=admin, params={"role": "admin"})
    assert own.status_code == 409 and own.json()["code"] == "own_admin_role"
    assert (await client.post(roles_path("kotas"), headers=admin, json={"role": "admin"})).status_code == 200
    second = bearer((await sign_in(client, "kotas"))["access_token"])
    taken = await client.delete(roles_path("admin"), headers=second, params={"role": "admin"})
    assert taken.status_code == 200 and taken.json()["roles"] == []
    assert (await client.get("/api/admin/users", headers=admin)).status_code == 403
