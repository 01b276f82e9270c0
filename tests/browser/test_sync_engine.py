"""The browser sync engine against the real server: offline writes, reload, convergence, two tablets,
a signed-out user's outbox, revocation."""

from __future__ import annotations

import re
import uuid

import httpx
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import (
    MUTATE,
    TABLET,
    LiveServer,
    engine_query,
    enrol_tablet,
    eventually,
    sign_in,
    wait_for_service_worker,
    wait_for_sync,
)

ATTENDANCE_NS = uuid.UUID("6f1c2a8e-4b7d-5e0a-9c3f-2d8b1e7a4c60")
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


def test_offline_check_ins_survive_a_reload_and_arrive_once(
    context: BrowserContext, page: Page, live_server: LiveServer, screenshot
) -> None:
    page.goto("/")
    sign_in(page, "paiva")
    wait_for_service_worker(page)
    wait_for_sync(page)
    status = page.get_by_test_id("sync-status")
    expect(status).to_contain_text("Kaikki lähetetty")
    unit = unit_id(page, "oulu-da-1")
    day = page.evaluate(LOCAL_TODAY)
    taken = {a["data"]["client_id"] for a in engine_query(page, "attendance") if a["data"]["date"] == day}
    clients = [c for c in unit_clients(page, unit) if c not in taken][:3]
    assert len(clients) == 3

    context.set_offline(True)
    for i, client in enumerate(clients):
        check_in(page, client, unit, day, f"{day}T08:0{i}:00+02:00")
    expect(status).to_contain_text("Tallennettu tälle laitteelle, ei vielä lähetetty (3)")
    screenshot(page, "home-unsent", readme=True)

    page.reload()  # offline: the app comes from the service worker, the data from IndexedDB
    expect(status).to_contain_text("Tallennettu tälle laitteelle, ei vielä lähetetty (3)")
    mine = [
        a
        for a in engine_query(page, "attendance")
        if a["data"]["client_id"] in clients and a["data"]["date"] == day
    ]
    assert len(mine) == 3 and all(a["pending"] and a["version"] is None for a in mine)
    assert stored_attendance(live_server, clients, unit, day) == []

    context.set_offline(False)
    expect(status).to_contain_text("Kaikki lähetetty", timeout=30_000)
    expect(status).to_contain_text("viimeksi synkronoitu")
    rows = stored_attendance(live_server, clients, unit, day)
    assert sorted(uuid.UUID(r[0]).hex for r in rows) == sorted(uuid.UUID(c).hex for c in clients)
    wait_for_sync(page)
    synced = [
        a
        for a in engine_query(page, "attendance")
        if a["data"]["client_id"] in clients and a["data"]["date"] == day
    ]
    assert len(synced) == 3 and not any(a["pending"] for a in synced)
    assert all(a["version"] and a["data"]["checked_in_at"] for a in synced)
    assert page.evaluate(CHECKSUMS_MATCH)

    page.evaluate("() => window.kaari.engine().syncNow()")  # another round sends nothing twice
    assert len(stored_attendance(live_server, clients, unit, day)) == 3


def tablet(browser: Browser, live_server: LiveServer, name: str) -> tuple[BrowserContext, Page]:
    """A new browser profile enrolled as a shared tablet of Päiväkeskus Väinölä, `paiva` signed in."""
    context = browser.new_context(base_url=live_server.url, viewport=TABLET, locale="fi-FI")
    context.set_default_timeout(15_000)
    page = context.new_page()
    enrol_tablet(page, live_server.enroll("oulu-da-1", name))
    sign_in(page, "paiva")
    expect(page.get_by_test_id("device")).to_contain_text(name)
    wait_for_service_worker(page)
    wait_for_sync(page)
    return context, page


def test_two_tablets_check_in_the_same_client_offline_and_converge(
    browser: Browser, live_server: LiveServer
) -> None:
    (one, first), (two, second) = (
        tablet(browser, live_server, "Tabletti 1"),
        tablet(browser, live_server, "Tabletti 2"),
    )
    try:
        unit = unit_id(first, "oulu-da-1")
        day = first.evaluate(LOCAL_TODAY)
        taken = {
            a["data"]["client_id"] for a in engine_query(first, "attendance") if a["data"]["date"] == day
        }
        client = next(c for c in unit_clients(first, unit) if c not in taken)
        record_id = str(uuid.uuid5(ATTENDANCE_NS, f"attendance:{client}:{unit}:{day}"))

        one.set_offline(True)
        two.set_offline(True)
        check_in(first, client, unit, day, f"{day}T08:15:00+02:00")
        check_in(second, client, unit, day, f"{day}T08:05:00+02:00")  # the other tablet saw them earlier
        for page in (first, second):
            expect(page.get_by_test_id("sync-status")).to_contain_text("ei vielä lähetetty (1)")
            local = next(
                a for a in engine_query(page, "attendance") if a["id"] == record_id
            )  # same derived id
            assert local["pending"]

        one.set_offline(False)
        expect(first.get_by_test_id("sync-status")).to_contain_text("Kaikki lähetetty", timeout=30_000)
        two.set_offline(False)
        expect(second.get_by_test_id("sync-status")).to_contain_text("Kaikki lähetetty", timeout=30_000)

        rows = stored_attendance(live_server, [client], unit, day)
        assert len(rows) == 1  # one record, whatever the number of tablets

        # The first tablet learns of the second one's earlier check-in by a poke (SSE), without a write.
        def converged() -> object:
            views = [
                next(a for a in engine_query(p, "attendance") if a["id"] == record_id)
                for p in (first, second)
            ]
            return (
                all(not v["pending"] for v in views) and views[0]["version"] == views[1]["version"] and views
            )

        views = eventually(converged, timeout=30)
        assert views[0]["data"] == views[1]["data"]
        assert views[0]["data"]["checked_in_at"] == f"{day}T08:05:00+02:00"  # the earliest check-in wins
        for page in (first, second):
            wait_for_sync(page)
            assert page.evaluate(CHECKSUMS_MATCH)

        # Online, a change from one tablet reaches the other by a poke over SSE, not by its timer.
        eventually(lambda: first.evaluate("() => window.kaari.engine().status.eventsConnected"))
        first.evaluate("() => { window.kaari.engine().reasons = []; }")
        second.evaluate(
            MUTATE,
            [
                "attendance.check_out",
                {"client_id": client, "unit_id": unit, "date": day, "at": f"{day}T15:00:00+02:00"},
            ],
        )
        eventually(
            lambda: next(a for a in engine_query(first, "attendance") if a["id"] == record_id)["data"][
                "checked_out_at"
            ],
            timeout=10,
        )
        assert "poke" in first.evaluate("() => window.kaari.engine().reasons")
    finally:
        one.close()
        two.close()


def test_tablet_sends_a_signed_out_users_outbox_and_revocation_erases_every_store(
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
        page.get_by_role("button", name="Kirjaudu ulos").click()  # a tablet keeps the unsent check-in
        expect(page.get_by_role("heading", name="Kirjaudu sisään")).to_be_visible()
        context.set_offline(False)  # nobody is signed in: the tablet's credential sends it
        eventually(lambda: stored_attendance(live_server, [first], unit, day), timeout=30)

        sign_in(page, "paiva")
        wait_for_sync(page)
        context.set_offline(True)
        check_in(page, second, unit, day, f"{day}T09:05:00+02:00")
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
    expect(page.get_by_test_id("sync-status")).to_contain_text("ei vielä lähetetty (1)")
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
    expect(page.get_by_test_id("sync-status")).to_contain_text("ei vielä lähetetty (1)")
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
    clients = [
        str(uuid.UUID(row[0]))
        for row in live_server.query(
            "SELECT id FROM clients WHERE id NOT IN (SELECT client_id FROM stays) ORDER BY id LIMIT ?",
            (places + 1,),
        )
    ]
    context.set_offline(True)
    for client in clients:  # one more than the free places, booked offline
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
