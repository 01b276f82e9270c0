"""Sign-in sessions in the browser: tablet enrolment, revocation wipe, token refresh (also when its answer is
lost), sign-out."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import jwt
from playwright.sync_api import Page, Route, expect

from server.accounts.tokens import digest
from tests.browser.conftest import LiveServer, eventually, sign_in

DATABASES = "async () => (await indexedDB.databases()).map((d) => d.name).sort()"
# Read or replace the stored sign-in in the app's kaari-device database, as the app itself would.
SESSION_JS = """async (accessToken) => {
  const done = (request) => new Promise((ok, fail) => {
    request.onsuccess = () => ok(request.result);
    request.onerror = () => fail(request.error);
  });
  const db = await done(indexedDB.open('kaari-device'));
  const store = db.transaction('state', 'readwrite').objectStore('state');
  const session = await done(store.get('session'));
  if (accessToken) await done(store.put({ ...session, access_token: accessToken }, 'session'));
  db.close();
  return session;
}"""


def test_enrolled_tablet_signs_in_with_its_credential_and_is_wiped_when_revoked(
    page: Page, live_server: LiveServer, unit_names: dict, screenshot
) -> None:
    unit = unit_names["oulu-da-1"]["fi"]
    output = live_server.cli("device", "enroll", "--unit", "oulu-da-1", "--name", "Aulan tabletti")
    code = re.search(r": ([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})$", output, re.MULTILINE).group(1)

    page.goto("/enrol")
    page.get_by_label("Käyttöönottokoodi").fill(code.lower())  # typed casually: the server normalises
    page.get_by_role("button", name="Ota käyttöön").click()
    expect(page.get_by_test_id("enrolled")).to_contain_text("Aulan tabletti")
    expect(page.get_by_test_id("enrolled")).to_contain_text(unit)
    screenshot(page, "enrol-done")

    page.get_by_role("link", name="Siirry kirjautumaan").click()
    expect(page.get_by_test_id("tablet")).to_contain_text("Aulan tabletti")
    with page.expect_request("**/api/auth/login") as login:
        sign_in(page, "paiva")
    assert login.value.headers["authorization"].startswith("Bearer kd_")
    expect(page).to_have_url(re.compile(r"/paiva$"))
    page.get_by_role("link", name="Etusivu").click()
    expect(page.get_by_test_id("device")).to_contain_text("Yhteiskäyttöinen tabletti: Aulan tabletti")
    expect(page.get_by_test_id("roles")).to_contain_text(f"Yksikkö: {unit} (alue Oulu)")
    screenshot(page, "home-tablet")

    with live_server.as_admin() as admin:
        device = next(d for d in admin.get("/api/admin/devices/").json() if d["name"] == "Aulan tabletti")
        assert admin.post(f"/api/admin/devices/{device['id']}/revoke").status_code == 200

    page.reload()  # the home screen refreshes reference data: the server answers device_revoked
    expect(page.get_by_role("heading", name="Kirjaudu sisään")).to_be_visible()
    expect(page.get_by_text("Tämä laite on poistettu käytöstä")).to_be_visible()
    expect(page.get_by_test_id("tablet")).to_have_count(0)
    eventually(lambda: page.evaluate(DATABASES) == [])
    assert page.evaluate("() => Object.keys(localStorage).filter((k) => k.startsWith('kaari.'))") == []
    screenshot(page, "sign-in-revoked")


def test_expired_access_token_is_refreshed_once_and_sign_out_erases_the_replica(
    page: Page, live_server: LiveServer
) -> None:
    page.goto("/")
    sign_in(page, "ohjaaja")
    expect(page.get_by_test_id("greeting")).to_have_text("Hei, Olli Ohjaaja!")
    expect(page.get_by_test_id("roles")).to_contain_text("Alue: Oulu")
    session, home = _expire_access_token(page, live_server)

    refreshes = []
    page.on("request", lambda r: refreshes.append(r) if r.url.endswith("/api/auth/refresh") else None)
    with page.expect_response(lambda r: r.url.endswith("/api/reference") and r.status == 200):
        page.goto(home)
    expect(page.get_by_test_id("greeting")).to_have_text("Hei, Olli Ohjaaja!")
    assert len(refreshes) == 1
    renewed = page.evaluate(SESSION_JS, None)
    assert renewed["refresh_token"] != session["refresh_token"]
    assert f"kaari-user-{session['user']['id']}" in page.evaluate(DATABASES)

    page.get_by_role("button", name="Kirjaudu ulos").click()
    expect(page.get_by_role("heading", name="Kirjaudu sisään")).to_be_visible()
    assert page.evaluate(DATABASES) == ["kaari-device"]  # a personal device keeps no client data
    refused = httpx.post(
        f"{live_server.url}/api/auth/refresh", json={"refresh_token": renewed["refresh_token"]}
    )
    assert refused.status_code == 401


def _expire_access_token(page: Page, live_server: LiveServer) -> tuple[dict, str]:
    """Replace the signed-in app's access token with an expired one, off the app; the session and the
    app's page to go back to."""
    session = page.evaluate(SESSION_JS, None)
    # Same identities, expired a minute ago, signed with the server's own secret.
    secret = (live_server.data_dir / "token-secret").read_text().strip()
    claims = jwt.decode(session["access_token"], options={"verify_signature": False})
    claims["exp"] = datetime.now(UTC) - timedelta(minutes=1)
    # Written off the app (a server route in the same origin): a running app could meanwhile refresh with
    # the stored token itself, and a rotation cut off by the reload would leave a spent refresh token.
    home = page.url
    page.goto("/healthz")
    page.evaluate(SESSION_JS, jwt.encode(claims, secret, algorithm="HS256"))
    return session, home


def test_a_failing_or_lost_refresh_answer_keeps_the_user_signed_in(
    page: Page, live_server: LiveServer
) -> None:
    page.goto("/")
    sign_in(page, "ohjaaja")
    expect(page.get_by_test_id("greeting")).to_have_text("Hei, Olli Ohjaaja!")
    session, home = _expire_access_token(page, live_server)

    # The app's refreshes meet, in turn: a failing server, then a connection dropped after the server has
    # rotated the token (a tablet losing its network at 8 a.m.), then a working network.
    presented, lost = [], []

    def unreliable(route: Route) -> None:
        presented.append(route.request.post_data_json["refresh_token"])
        if len(presented) == 1:
            route.fulfill(status=503, json={"code": "unavailable", "message": "Try again later."})
        elif len(presented) == 2:
            answer = route.fetch()
            assert answer.status == 200, answer.text()
            lost.append(answer.json())
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/auth/refresh", unreliable)
    page.goto(home)
    expect(page.get_by_test_id("greeting")).to_have_text("Hei, Olli Ohjaaja!")  # from the stored copy

    # The app keeps its pair through both failures, retries by itself, and the server takes the old
    # token once more: its rotation's answer never arrived.
    def renewed() -> dict | None:
        stored = page.evaluate(SESSION_JS, None)
        assert stored is not None, "the app has signed out"
        return stored if stored["refresh_token"] != session["refresh_token"] else None

    renewed = eventually(renewed, timeout=30)
    assert len(presented) == 3 and set(presented) == {session["refresh_token"]}
    assert renewed["refresh_token"] != lost[0]["refresh_token"]
    expect(page.get_by_role("heading", name="Kirjaudu sisään")).to_have_count(0)
    with page.expect_response(lambda r: r.url.endswith("/api/reference") and r.status == 200):
        page.reload()
    expect(page.get_by_test_id("greeting")).to_have_text("Hei, Olli Ohjaaja!")

    # One live refresh token in the sign-in: the app's. The lost one was spent by the retry.
    sid = jwt.decode(renewed["access_token"], options={"verify_signature": False})["sid"]
    live = live_server.query(
        "SELECT token_hash FROM refresh_tokens WHERE session_id = ? AND used_at IS NULL",
        (uuid.UUID(sid).hex,),
    )
    assert live == [(digest(renewed["refresh_token"]),)]
