"""Sign-in, tokens, refresh rotation with reuse detection, sign-out and the failed-sign-in limit."""

from __future__ import annotations

import uuid

from server.accounts.tokens import TokenService
from server.demo import DEMO_USERS
from tests.conftest import bearer, sign_in


async def test_every_demo_user_signs_in_and_sees_their_roles(client):
    for username, _name, role, _scope, _code in DEMO_USERS:
        body = await sign_in(client, username)
        assert body["token_type"] == "Bearer"
        assert 0 < body["expires_in"] <= 15 * 60
        assert body["user"]["username"] == username
        assert [r["role"] for r in body["user"]["roles"]] == [role]
        me = await client.get("/api/auth/me", headers=bearer(body["access_token"]))
        assert me.status_code == 200 and me.json()["username"] == username


async def test_wrong_password_and_unknown_user_look_the_same(client):
    wrong = await client.post("/api/auth/login", json={"username": "paiva", "password": "nope"})
    unknown = await client.post("/api/auth/login", json={"username": "nobody", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert (
        wrong.json()
        == unknown.json()
        == {
            "code": "invalid_credentials",
            "message": "Wrong username or password.",
            "details": {},
        }
    )


async def test_sixth_try_is_refused_even_with_the_right_password(client, demo):
    for _ in range(demo.login_max_failures):
        response = await client.post("/api/auth/login", json={"username": "hoiva", "password": "guess"})
        assert response.status_code == 401
    locked = await client.post("/api/auth/login", json={"username": "hoiva", "password": "demo"})
    assert locked.status_code == 429
    assert locked.json()["code"] == "rate_limited"
    assert 0 < int(locked.headers["retry-after"]) <= demo.login_failure_window_seconds
    # Another user is not locked out by hoiva's failures.
    await sign_in(client, "paiva")


async def test_login_rejects_unknown_fields(client):
    response = await client.post(
        "/api/auth/login", json={"username": "paiva", "password": "demo", "admin": True}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"


async def test_no_token_and_bad_token_are_401(client):
    assert (await client.get("/api/auth/me")).json()["code"] == "unauthenticated"
    response = await client.get("/api/auth/me", headers=bearer("not-a-token"))
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"


async def test_expired_access_token_says_token_expired(client, app):
    session = await sign_in(client, "paiva")
    me = (await client.get("/api/auth/me", headers=bearer(session["access_token"]))).json()
    context = app.state.kaari
    expired = TokenService(context.tokens._secret, access_seconds=-1).issue_access(
        uuid.UUID(me["id"]),
        uuid.UUID(_claim(session["access_token"], "sid")),
        uuid.UUID(session["device_id"]),
    )
    response = await client.get("/api/auth/me", headers=bearer(expired))
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"


async def test_refresh_rotates_and_reuse_revokes_the_family(client):
    first = await sign_in(client, "ohjaaja")
    second = (await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (await client.get("/api/auth/me", headers=bearer(second["access_token"]))).status_code == 200

    # The first refresh token is spent: presenting it again means it was copied.
    reused = await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401 and reused.json()["code"] == "refresh_reused"
    # The whole family is gone: the newest refresh token and the access token stop working too.
    after = await client.post("/api/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert after.status_code == 401
    assert (await client.get("/api/auth/me", headers=bearer(second["access_token"]))).status_code == 401


async def test_sign_out_ends_the_session_at_once(client):
    session = await sign_in(client, "kotas")
    assert (await client.post("/api/auth/logout", headers=bearer(session["access_token"]))).status_code == 204
    assert (await client.get("/api/auth/me", headers=bearer(session["access_token"]))).status_code == 401
    refreshed = await client.post("/api/auth/refresh", json={"refresh_token": session["refresh_token"]})
    assert refreshed.status_code == 401


async def test_admin_creates_a_user_who_can_sign_in(client):
    admin = await sign_in(client, "admin")
    created = await client.post(
        "/api/admin/users",
        headers=bearer(admin["access_token"]),
        json={
            "username": "new.counsellor",
            "display_name": "Uusi Ohjaaja",
            "password": "long enough",
            "roles": [{"role": "counsellor"}],
        },
    )
    assert created.status_code == 201, created.text
    await sign_in(client, "new.counsellor", "long enough")
    staff = await sign_in(client, "paiva")
    refused = await client.get("/api/admin/users", headers=bearer(staff["access_token"]))
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"


def _claim(token: str, name: str) -> str:
    import jwt

    return jwt.decode(token, options={"verify_signature": False})[name]
