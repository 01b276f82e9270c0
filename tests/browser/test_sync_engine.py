"""The browser sync engine against the real server: a signed-out user's outbox, revocation, the first
sync's progress, back-off, Background Sync, an ended sign-in, capacity rejections. Offline check-ins
that survive a reload and two tablets converging are driven through the day-activity screen
(test_paiva.py)."""

from __future__ import annotations

import re
import uuid

import httpx
from playwright.sync_api import Browser, BrowserContext, Page, expect

from server.reference.models import reference_id
from tests.browser.conftest import (
    MUTATE,
    LiveServer,
    engine_query,
    eventually,
    sign_in,
    tablet,
    wait_for_service_worker,
    wait_for_sync,
)

DATABASES = "async () => (await indexedDB.databases()).map((d) => d.name).sort()"
LOCAL_TODAY = "() => { const d = new Date(); d.setMinutes(d.getMinutes() - d.getTimezoneOffset()); return d.toISOString().slice(0, 10); }"
# The sync cursor as stored in the user's database (not the engine's copy in memory).
STORED_STATE = """async () => {
  const done = (request) => new Promise((ok, fail) => {
    request.onsuccess = () => ok(request.result);
    request.onerror = () => fail(request.error);
  });
  const engine = window.kaari.engine();
  const db = await done(indexedDB.open('kaari-user-' + engine.userId));
  const state = await done(db.transaction('meta').objectStore('meta').get('sync'));
  db.close();
  return state;
}"""
CHECKSUMS_MATCH = """async () => {
  const engine = window.kaari.engine();
  return engine.status.complete && !engine.status.error && (await engine.scopes()).length > 0;
}"""


def unit_id(page: Page, code: str) -> str:
    return next(u["id"] for u in engine_query(page, "unit") if u["data"]["code"] == code)


def unit_clients(page: Page, unit: str) -> list[str]:
    return sorted(c["id"] for c in engine_query(page, "client") if f"unit:{unit}" in c["scopes"])


def stored_attendance(server: LiveServer, client_ids: list[str], unit: str, day: str) -> list[tuple]:
    marks = ",".join("?" * len(client_ids))
    return server.query(
        f"SELECT client_id, checked_in_at FROM attendance WHERE unit_id = ? AND date = ? AND client_id IN ({marks})",
        (uuid.UUID(unit).hex, day, *(uuid.UUID(c).hex for c in client_ids)),
    )


def check_in(page: Page, client: str, unit: str, day: str, at: str) -> None:
    page.evaluate(
        MUTATE, ["attendance.check_in", {"client_id": client, "unit_id": unit, "date": day, "at": at}]
    )


def test_an_offline_sign_out_leaves_the_outbox_for_the_next_sign_in_and_revocation_erases_it(
    browser: Browser, live_server: LiveServer
) -> None:
    context, page = tablet(browser, live_server, "Aulan tabletti 2")
    try:
        unit = unit_id(page, "oulu-da-1")
        day = page.evaluate(LOCAL_TODAY)
        taken = {a["data"]["client_id"] for a in engine_query(page, "attendance") if a["data"]["date"] == day}
        first, second = [c for c in unit_clients(page, unit) if c not in taken][:2]

        context.set_offline(True)
        check_in(page, first, unit, day, f"{day}T09:00:00+02:00")
        page.get_by_role("link", name="Etusivu").click()
        page.get_by_role("button", name="Kirjaudu ulos").click()  # a tablet keeps the unsent check-in
        expect(page.get_by_role("heading", name="Kirjaudu sisään")).to_be_visible()
        # Signed out offline, the server never heard how far her queue reached: the tablet's credential may
        # send nothing in her name (protocol §2), and the check-in waits for her own next sign-in.
        context.set_offline(False)
        sign_in(page, "paiva")
        wait_for_sync(page)
        eventually(lambda: stored_attendance(live_server, [first], unit, day), timeout=30)
        context.set_offline(True)
        check_in(page, second, unit, day, f"{day}T09:05:00+02:00")
        page.get_by_role("link", name="Etusivu").click()
        page.get_by_role("button", name="Kirjaudu ulos").click()
        expect(page.get_by_role("heading", name="Kirjaudu sisään")).to_be_visible()
        assert any(name.startswith("kaari-user-") for name in page.evaluate(DATABASES))

        with live_server.as_admin() as admin:
            device = next(
                d for d in admin.get("/api/admin/devices/").json() if d["name"] == "Aulan tabletti 2"
            )
            assert admin.post(f"/api/admin/devices/{device['id']}/revoke").status_code == 200
        context.set_offline(False)  # the next contact answers device_revoked: everything goes
        expect(page.get_by_text("Tämä laite on poistettu käytöstä")).to_be_visible(timeout=30_000)
        eventually(lambda: page.evaluate(DATABASES) == [], timeout=15)
        assert stored_attendance(live_server, [second], unit, day) == []  # erased, outbox included
    finally:
        context.close()


def test_first_sync_shows_its_progress_and_resumes_where_it_was_cut(
    page: Page, live_server: LiveServer
) -> None:
    cookies: list[str | None] = []
    cut = {"on": False, "refused": 0}

    def pull(route) -> None:
        if cut["on"]:
            cut["refused"] += 1
            route.abort("connectionreset")
            return
        cookies.append(route.request.post_data_json["cookie"])
        if len(cookies) == 1:
            cut["on"] = True  # the network goes once the first page is on its way
        route.continue_()

    page.route("**/api/sync/v1/pull", pull)
    page.goto("/")
    sign_in(page, "ohjaus-esihenkilo")  # the whole region: a year of contacts, several pages
    # The first page is stored, the second never comes. (Route handlers run only while the test calls
    # into Playwright, hence the evaluate in the condition.)
    eventually(lambda: page.evaluate("() => true") and cut["refused"], timeout=60)
    expect(page.get_by_test_id("sync-progress")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("sync-status")).to_contain_text(
        re.compile(r"Haetaan tietoja tälle laitteelle… \d+")
    )
    assert cookies == [None]
    stored = page.evaluate(STORED_STATE)
    assert stored["cookie"] and stored["complete"] is False
    resumed_from = stored["cookie"]

    cut["on"] = False  # the connection is back (the browser says so): it continues from the stored cookie
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    wait_for_sync(page, timeout=60)
    assert cookies[1] == resumed_from  # not a new first sync: on from the page it had
    assert len(cookies) >= 2
    expect(page.get_by_test_id("sync-progress")).to_have_count(0)
    expect(page.get_by_test_id("sync-status")).to_contain_text("viimeksi synkronoitu")
    assert page.evaluate(CHECKSUMS_MATCH)  # the replica equals the server's, scope by scope
    assert (
        len([s for s in page.evaluate("() => window.kaari.engine().scopes()") if s.startswith("area:")]) == 6
    )


def test_server_errors_back_off_and_the_outbox_waits(context: BrowserContext, page: Page) -> None:
    page.goto("/")
    sign_in(page, "paiva")
    wait_for_sync(page)
    unit = unit_id(page, "oulu-da-1")
    day = page.evaluate(LOCAL_TODAY)
    client = unit_clients(page, unit)[0]
    failures = []

    def push(route) -> None:
        if len(failures) < 2:
            failures.append(route.request.post_data_json["mutations"][0]["seq"])
            route.fulfill(
                status=503, json={"code": "server_error", "message": "Database busy", "details": {}}
            )
        else:
            route.continue_()

    page.route("**/api/sync/v1/push", push)
    page.evaluate(
        MUTATE,
        [
            "attendance.check_out",
            {"client_id": client, "unit_id": unit, "date": day, "at": f"{day}T16:00:00+02:00"},
        ],
    )
    expect(page.get_by_test_id("sync-status")).to_contain_text("Yritetään uudelleen", timeout=15_000)
    # (Unit staff land on /paiva, whose view log may wait in the outbox too: not counted exactly here.)
    expect(page.get_by_test_id("sync-status")).to_contain_text("ei vielä lähetetty")
    assert (
        page.evaluate("async () => (await window.kaari.engine().idle()).outboxEmpty") is False
    )  # no update now
    expect(page.get_by_test_id("sync-status")).to_contain_text("Kaikki lähetetty", timeout=30_000)
    assert failures == [failures[0], failures[0]]  # the same mutation again, nothing skipped
    assert page.evaluate("async () => (await window.kaari.engine().idle()).outboxEmpty") is True


def test_background_sync_sends_the_outbox_with_no_page_open(
    context: BrowserContext, page: Page, live_server: LiveServer
) -> None:
    page.goto("/")
    sign_in(page, "paiva")
    wait_for_service_worker(page)
    wait_for_sync(page)
    unit = unit_id(page, "oulu-da-1")
    day = page.evaluate(LOCAL_TODAY)
    taken = {a["data"]["client_id"] for a in engine_query(page, "attendance") if a["data"]["date"] == day}
    client = next(c for c in unit_clients(page, unit) if c not in taken)
    context.set_offline(True)
    check_in(page, client, unit, day, f"{day}T10:30:00+02:00")
    expect(page.get_by_test_id("sync-status")).to_contain_text("ei vielä lähetetty")
    page.close()  # the app is closed; only its service worker is left
    context.set_offline(False)

    # Chromium fires Background Sync ('kaari-outbox') when it sees the network return; with no page
    # open the worker pushes the outbox itself. DevTools cannot fire that event in headless Chromium,
    # so the test runs what the event handler runs, in the worker.
    worker = next(w for w in context.service_workers if w.url == f"{live_server.url}/sw.js")
    assert stored_attendance(live_server, [client], unit, day) == []
    worker.evaluate("() => self.kaariFlushOutboxes()")
    assert len(stored_attendance(live_server, [client], unit, day)) == 1
    worker.evaluate("() => self.kaariFlushOutboxes()")  # again: nothing is sent twice
    assert len(stored_attendance(live_server, [client], unit, day)) == 1


def test_a_sign_in_ended_elsewhere_keeps_the_outbox_for_the_next_sign_in(
    context: BrowserContext, page: Page, live_server: LiveServer
) -> None:
    page.goto("/")
    sign_in(page, "paiva")
    wait_for_sync(page)
    unit = unit_id(page, "oulu-da-1")
    day = page.evaluate(LOCAL_TODAY)
    taken = {a["data"]["client_id"] for a in engine_query(page, "attendance") if a["data"]["date"] == day}
    client = [c for c in unit_clients(page, unit) if c not in taken][-1]
    context.set_offline(True)
    check_in(page, client, unit, day, f"{day}T11:00:00+02:00")
    # Meanwhile the session is ended on the server (signed out from the sign-in's own tokens).
    session = page.evaluate(
        """async () => new Promise((ok) => { const r = indexedDB.open('kaari-device');
           r.onsuccess = () => { const g = r.result.transaction('state').objectStore('state').get('session');
           g.onsuccess = () => ok(g.result); }; })"""
    )
    response = httpx.post(
        f"{live_server.url}/api/auth/logout", headers={"Authorization": f"Bearer {session['access_token']}"}
    )
    assert response.status_code in (200, 204)
    context.set_offline(False)
    expect(page.get_by_role("heading", name="Kirjaudu sisään")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Kirjautuminen on päättynyt")).to_be_visible()
    assert stored_attendance(live_server, [client], unit, day) == []

    sign_in(page, "paiva")  # the same replica and outbox: sent now
    eventually(lambda: stored_attendance(live_server, [client], unit, day), timeout=30)


def test_bookings_made_offline_past_capacity_show_alternatives_in_needs_attention(
    context: BrowserContext, page: Page, live_server: LiveServer, screenshot
) -> None:
    page.goto("/")
    sign_in(page, "hoiva")  # staff of the short-term care unit Lepola (four places)
    wait_for_sync(page)
    unit = page.evaluate("() => window.kaari.engine().user.roles.find((g) => g.unit_id).unit_id")
    today = page.evaluate(LOCAL_TODAY)
    free = sorted(
        (f["data"]["date"], f["data"]["free"])
        for f in engine_query(page, "free_places")
        if f["data"]["unit_id"] == unit and f["data"]["date"] > today
    )
    start, places = free[14]  # a day two weeks ahead
    # New clients of the unit, created on the tablet first: staff book only clients they have a basis on.
    clients = [str(uuid.uuid4()) for _ in range(places + 1)]
    oulu = str(reference_id("municipality", "564"))
    context.set_offline(True)
    for n, client in enumerate(clients):  # one more than the free places, booked offline
        new = {
            "client_id": client,
            "first_name": "Vieras",
            "last_name": f"Asiakas {n}",
            "municipality_id": oulu,
        }
        page.evaluate(MUTATE, ["client.create", {**new, "unit_id": unit}])
        page.evaluate(
            MUTATE,
            [
                "stay.book",
                {
                    "stay_id": str(uuid.uuid4()),
                    "client_id": client,
                    "unit_id": unit,
                    "start_date": start,
                    "end_date": start,
                },
            ],
        )
    pending = [s for s in engine_query(page, "stay") if s["pending"]]
    assert len(pending) == places + 1 and {s["data"]["status"] for s in pending} == {"pending_confirmation"}
    context.set_offline(False)
    link = page.get_by_test_id("attention-link")
    expect(link).to_have_text("Vaatii huomiota (1)", timeout=30_000)
    link.click()
    item = page.get_by_test_id("attention-item")
    expect(item).to_contain_text("Hoitojakson varaus")
    expect(item).to_contain_text("capacity_exhausted")
    expect(item.get_by_test_id("alternatives")).to_contain_text("vapaa")  # units of the area with room
    screenshot(page, "attention-capacity")
    stays = [s for s in engine_query(page, "stay") if s["data"]["client_id"] in clients]
    assert len(stays) == places and {s["data"]["status"] for s in stays} == {
        "booked"
    }  # the refused one is gone
    item.get_by_role("button", name="Hylkää kirjaus").click()
    expect(page.get_by_test_id("attention-empty")).to_be_visible()
