"""Sign-in, tokens, refresh rotation with reuse detection and its grace window, sign-out, the sign-in limit."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from server import clock
from server.accounts import service
from server.accounts.models import RefreshToken
from server.accounts.tokens import TokenService, digest
from server.app import create_app
from server.db import create_engine
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


async def _refresh(client, token: str):
    return await client.post("/api/auth/refresh", json={"refresh_token": token})


async def _live_refresh_tokens(db, tokens: dict) -> list[str]:
    """The hashes of the sign-in's refresh tokens that are not spent."""
    rows = await db.execute(
        select(RefreshToken.token_hash).where(
            RefreshToken.session_id == uuid.UUID(_claim(tokens["access_token"], "sid")),
            RefreshToken.used_at.is_(None),
        )
    )
    return list(rows.scalars())


@pytest.fixture
def at(monkeypatch):
    """Set the server's clock (`server.clock.utc_now`) to a moment; it stays there until set again."""
    now = clock.utc_now().replace(microsecond=0)

    def set_to(moment: datetime) -> datetime:
        monkeypatch.setattr(clock, "utc_now", lambda: moment)
        return moment

    set_to.start = now
    return set_to


async def _assert_family_revoked(client, *tokens: dict) -> None:
    for pair in tokens:
        assert (await _refresh(client, pair["refresh_token"])).status_code == 401
        assert (await client.get("/api/auth/me", headers=bearer(pair["access_token"]))).status_code == 401


async def test_refresh_rotates_and_reuse_after_the_successor_was_used_revokes_the_family(client):
    first = await sign_in(client, "ohjaaja")
    second = (await _refresh(client, first["refresh_token"])).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (await client.get("/api/auth/me", headers=bearer(second["access_token"]))).status_code == 200
    third = (await _refresh(client, second["refresh_token"])).json()

    # The client got the second token (it has used it): the first one presented again was copied, even
    # within the grace window.
    reused = await _refresh(client, first["refresh_token"])
    assert reused.status_code == 401 and reused.json()["code"] == "refresh_reused"
    # The whole family is gone: the newest refresh token and the access token stop working too.
    await _assert_family_revoked(client, third)


async def test_a_lost_refresh_answer_is_retried_within_the_grace_window(client, db):
    first = await sign_in(client, "ohjaaja")
    lost = (await _refresh(client, first["refresh_token"])).json()  # rotated, but the client never got it

    retried = await _refresh(client, first["refresh_token"])
    assert retried.status_code == 200, retried.text
    current = retried.json()
    assert current["refresh_token"] not in (first["refresh_token"], lost["refresh_token"])
    assert (await client.get("/api/auth/me", headers=bearer(current["access_token"]))).status_code == 200
    # One live refresh token in the family: the new one; the lost one was spent by the retry.
    assert await _live_refresh_tokens(db, current) == [digest(current["refresh_token"])]

    following = await _refresh(client, current["refresh_token"])
    assert following.status_code == 200
    # The superseded token was never handed to the client: whoever presents it has a copy.
    superseded = await _refresh(client, lost["refresh_token"])
    assert superseded.status_code == 401 and superseded.json()["code"] == "refresh_reused"
    await _assert_family_revoked(client, following.json())


async def test_a_lost_answer_may_be_lost_again(client, db):
    first = await sign_in(client, "ohjaaja")
    for _ in range(3):  # every answer lost: each retry supersedes the previous retry's token
        assert (await _refresh(client, first["refresh_token"])).status_code == 200
    current = (await _refresh(client, first["refresh_token"])).json()
    assert await _live_refresh_tokens(db, current) == [digest(current["refresh_token"])]
    assert (await _refresh(client, current["refresh_token"])).status_code == 200


async def test_the_grace_window_ends_exactly_after_its_seconds(client, demo, at):
    window = timedelta(seconds=demo.refresh_grace_seconds)
    for late, expected in ((timedelta(0), 200), (timedelta(microseconds=1), 401)):
        first = await sign_in(client, "ohjaaja")
        at(at.start)
        assert (await _refresh(client, first["refresh_token"])).status_code == 200
        at(at.start + window + late)
        retried = await _refresh(client, first["refresh_token"])
        assert retried.status_code == expected, (late, retried.text)
        if expected == 401:
            assert retried.json()["code"] == "refresh_reused"
            await _assert_family_revoked(client, first)


async def test_reuse_after_the_grace_window_revokes_the_family(client, demo, at):
    first = await sign_in(client, "ohjaaja")
    at(at.start)
    lost = (await _refresh(client, first["refresh_token"])).json()
    at(at.start + timedelta(seconds=demo.refresh_grace_seconds, minutes=5))
    reused = await _refresh(client, first["refresh_token"])
    assert reused.status_code == 401 and reused.json()["code"] == "refresh_reused"
    await _assert_family_revoked(client, lost)


async def test_a_grace_window_of_zero_revokes_on_any_reuse(demo):
    app = create_app(replace(demo, refresh_grace_seconds=0), configure_logs=False)
    async with AsyncTestClient(app=app) as client:
        first = await sign_in(client, "ohjaaja")
        lost = (await _refresh(client, first["refresh_token"])).json()
        reused = await _refresh(client, first["refresh_token"])
        assert reused.status_code == 401 and reused.json()["code"] == "refresh_reused"
        await _assert_family_revoked(client, lost)


async def test_two_refreshes_with_one_token_at_once_leave_one_live_token(client, app, demo, db):
    first = await sign_in(client, "ohjaaja")
    tokens = app.state.kaari.tokens
    engine = create_engine(demo)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    try:
        async with sessions() as one, sessions() as two:
            answer_one = await service.refresh(one, demo, tokens, first["refresh_token"])
            # The second refresh waits for the first one's transaction instead of reading around it ...
            second = asyncio.create_task(service.refresh(two, demo, tokens, first["refresh_token"]))
            done, _ = await asyncio.wait({second}, timeout=0.5)
            assert not done
            await one.commit()
            # ... and then sees the first one's successor, unused: a retry, not a reuse.
            answer_two = await second
            await two.commit()
    finally:
        await engine.dispose()
    issued = {digest(answer_one.refresh_token), digest(answer_two.refresh_token)}
    live = await _live_refresh_tokens(db, first)
    assert len(issued) == 2 and live == [digest(answer_two.refresh_token)]


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
