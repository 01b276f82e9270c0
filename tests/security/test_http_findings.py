"""HTTP-level findings of the security probe (issue 15), on both engines."""

from __future__ import annotations

from server.demo import DEMO_DAY_UNIT
from server.reference.models import reference_id
from tests.conftest import bearer, sign_in


async def test_static_paths_with_a_nul_byte_are_404(client):
    for path in ("/%00", "/index.html%00.js", "/assets/%00x.js", "/sw.js%00"):
        r = await client.get(path)
        assert r.status_code in (400, 404), (path, r.status_code, r.text)


async def test_a_huge_after_id_is_a_clear_400(client):
    admin = bearer((await sign_in(client, "admin"))["access_token"])
    r = await client.get("/api/admin/access-log", params={"after_id": "9" * 38}, headers=admin)
    assert r.status_code == 400, r.text


async def test_a_role_with_an_unknown_field_is_refused(client):
    admin = bearer((await sign_in(client, "admin"))["access_token"])
    body = {
        "username": "sneaky",
        "display_name": "Sneaky",
        "password": "long enough password",
        "roles": [{"role": "unit_staff", "unit_code": DEMO_DAY_UNIT}],
    }
    r = await client.post("/api/admin/users", json=body, headers=admin)
    assert r.status_code == 400, r.text


async def test_unit_staff_needs_a_unit(client):
    admin = bearer((await sign_in(client, "admin"))["access_token"])
    body = {
        "username": "nounit",
        "display_name": "No unit",
        "password": "long enough password",
        "roles": [{"role": "unit_staff"}],
    }
    r = await client.post("/api/admin/users", json=body, headers=admin)
    assert r.status_code == 400, r.text
    unit = str(reference_id("unit", DEMO_DAY_UNIT))
    body["roles"] = [{"role": "unit_staff", "unit_id": unit}]
    r = await client.post("/api/admin/users", json=body, headers=admin)
    assert r.status_code in (200, 201), r.text


async def test_a_nul_byte_in_a_query_or_a_json_body_is_a_clear_400(client):
    admin = bearer((await sign_in(client, "admin"))["access_token"])
    r = await client.get("/api/admin/users", params={"q": "a\x00b"}, headers=admin)
    assert r.status_code == 400 and r.json()["code"] == "invalid_request", r.text
    body = {"username": "nul", "display_name": "A\x00B", "password": "long enough password", "roles": []}
    r = await client.post("/api/admin/users", json=body, headers=admin)
    assert r.status_code == 400 and r.json()["code"] == "invalid_request", r.text


async def test_every_response_has_the_security_headers(client):
    admin = bearer((await sign_in(client, "admin"))["access_token"])
    for method, path, headers in (
        ("GET", "/", {}),
        ("GET", "/api/auth/me", {}),  # 401
        ("GET", "/api/admin/users", admin),
        ("POST", "/no/such/route", {}),
        ("GET", "/healthz", {}),
    ):
        r = await client.request(method, path, headers=headers)
        csp = r.headers.get("content-security-policy", "")
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, (path, r.headers)
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "no-referrer"
