"""Day activity (/paiva) in a real browser: check-ins by tap and by keyboard offline that survive a reload
and arrive once, an absence whose no-show task is closed, two tablets converging on one record, and the
shared tablet's PIN switch, lockout and idle lock."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from server.clock import today_in_finland
from tests.browser.conftest import (
    LiveServer,
    engine_query,
    eventually,
    sign_in,
    tablet,
    wait_for_service_worker,
    wait_for_sync,
)

ATTENDANCE_NS = uuid.UUID("6f1c2a8e-4b7d-5e0a-9c3f-2d8b1e7a4c60")
LOCAL_TODAY = "() => { const d = new Date(); d.setMinutes(d.getMinutes() - d.getTimezoneOffset()); return d.toISOString().slice(0, 10); }"
UNSENT = "async (name) => (await window.kaari.engine().unsent()).filter((m) => m.name === name).length"


def on_a_weekday(context: BrowserContext) -> bool:
    """Päiväkeskus Väinölä is open Monday to Friday: on a weekend the browser lives on the Friday before
    (a past day may be recorded; the server refuses only future days). True if the clock was set."""
    today = today_in_finland()
    if today.weekday() < 5:
        return False
    friday = today - timedelta(days=today.weekday() - 4)
    context.clock.set_fixed_time(datetime(friday.year, friday.month, friday.day, 10, 0))
    return True


def tile(page: Page, client: str) -> Locator:
    return page.locator(f'[data-testid="tile"][data-client="{client}"]')


def expected_clients(page: Page, count: int) -> list[str]:
    tiles = page.locator('[data-testid="tile"][data-state="expected"]')
    expect(tiles.nth(count - 1)).to_be_visible()
    return [tiles.nth(i).get_attribute("data-client") for i in range(count)]


def stored_attendance(server: LiveServer, clients: list[str], day: str) -> list[tuple]:
    marks = ",".join("?" * len(clients))
    return server.query(
        f"SELECT client_id, checked_in_at, checked_out_at, absent_reason FROM attendance "
        f"WHERE date = ? AND client_id IN ({marks})",
        (day, *(uuid.UUID(c).hex for c in clients)),
    )


def test_check_ins_offline_survive_a_reload_and_arrive_once(
    context: BrowserContext, page: Page, live_server: LiveServer, screenshot
) -> None:
    on_a_weekday(context)
    page.goto("/")
    sign_in(page, "paiva")
    expect(page).to_have_url(re.compile(r"/paiva$"))  # day-activity staff land on their screen
    expect(page.get_by_role("heading", name="Päivätoiminta", exact=True)).to_be_visible()
    wait_for_service_worker(page)
    wait_for_sync(page)
    day = page.evaluate(LOCAL_TODAY)
    clients = expected_clients(page, 4)
    checked, absent = clients[:3], clients[3]

    context.set_offline(True)
    for n, client in enumerate(checked):
        button = tile(page, client).get_by_role("button", name=re.compile("Kirjaa saapuminen"))
        if n == 0:  # by keyboard: the tile is a button
            button.focus()
            page.keyboard.press("Enter")
        else:
            button.click()
        expect(tile(page, client)).to_have_attribute("data-state", "checked_in")
        expect(tile(page, client)).to_contain_text("Ei vielä lähetetty")
    status = page.get_by_test_id("sync-status")
    expect(status).to_contain_text("Tallennettu tälle laitteelle, ei vielä lähetetty")

    page.reload()  # offline: the app from the service worker, the roster and the outbox from IndexedDB
    for client in checked:
        expect(tile(page, client)).to_have_attribute("data-state", "checked_in")
        expect(tile(page, client)).to_contain_text("Ei vielä lähetetty")
    expect(status).to_contain_text("ei vielä lähetetty")
    assert page.evaluate(UNSENT, "attendance.check_in") == 3
    assert stored_attendance(live_server, checked, day) == []

    context.set_offline(False)
    expect(status).to_contain_text("Kaikki lähetetty", timeout=30_000)
    rows = stored_attendance(live_server, checked, day)
    assert sorted(uuid.UUID(r[0]) for r in rows) == sorted(uuid.UUID(c) for c in checked)
    assert all(r[1] for r in rows)  # exactly three records, each checked in
    for client in checked:
        expect(tile(page, client)).not_to_contain_text("Ei vielä lähetetty")

    # The second tap checks out; an absence is a reason from the code list; a no-show gets a task.
    tile(page, checked[0]).get_by_role("button", name=re.compile("Kirjaa lähteminen")).click()
    expect(tile(page, checked[0])).to_have_attribute("data-state", "checked_out")
    tile(page, absent).get_by_role("button", name=re.compile("Merkitse poissaolo")).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Ei saapunut, ei ilmoitusta").check()
    dialog.get_by_role("button", name="Tallenna poissaolo").click()
    expect(tile(page, absent)).to_have_attribute("data-state", "absent")
    expect(tile(page, absent)).to_contain_text("Poissa: Ei saapunut")
    task = page.get_by_test_id("task").filter(has_text="ei saapunut")
    expect(task).to_have_count(1, timeout=30_000)  # made by the server, synced down
    screenshot(page, "paiva", readme=True)
    task.get_by_role("button", name="Tehty…").click()
    page.get_by_label("Mitä sovittiin?").fill("Omainen soitti: flunssa, tulee torstaina.")
    page.get_by_role("button", name="Kuittaa tehdyksi").click()
    expect(task).to_have_count(0)
    expect(status).to_contain_text("Kaikki lähetetty", timeout=30_000)
    assert live_server.query(
        "SELECT status, outcome FROM tasks WHERE client_id = ? AND date = ?",
        (uuid.UUID(absent).hex, day),
    ) == [("done", "Omainen soitti: flunssa, tulee torstaina.")]
    assert stored_attendance(live_server, [absent], day)[0][3] == "no_show"


def test_two_tablets_check_in_the_same_client_offline_and_converge(
    browser: Browser, live_server: LiveServer
) -> None:
    (one, first), (two, second) = (
        tablet(browser, live_server, "Tabletti 1"),
        tablet(browser, live_server, "Tabletti 2"),
    )
    try:
        for context, page in ((one, first), (two, second)):
            if on_a_weekday(context):
                page.reload()
                wait_for_sync(page)
        client = expected_clients(first, 1)[0]
        day = first.evaluate(LOCAL_TODAY)
        unit = first.evaluate("() => window.kaari.engine().user.roles[0].unit_id")
        record_id = str(uuid.uuid5(ATTENDANCE_NS, f"attendance:{client}:{unit}:{day}"))

        one.set_offline(True)
        two.set_offline(True)
        for page in (first, second):
            tile(page, client).get_by_role("button", name=re.compile("Kirjaa saapuminen")).click()
            expect(tile(page, client)).to_contain_text("Ei vielä lähetetty")
            assert next(a for a in engine_query(page, "attendance") if a["id"] == record_id)["pending"]

        one.set_offline(False)
        expect(first.get_by_test_id("sync-status")).to_contain_text("Kaikki lähetetty", timeout=30_000)
        two.set_offline(False)
        expect(second.get_by_test_id("sync-status")).to_contain_text("Kaikki lähetetty", timeout=30_000)
        assert len(stored_attendance(live_server, [client], day)) == 1  # one record, two tablets

        def converged() -> object:
            views = [
                next(a for a in engine_query(p, "attendance") if a["id"] == record_id)
                for p in (first, second)
            ]
            same = all(not v["pending"] for v in views) and views[0]["version"] == views[1]["version"]
            return same and views

        views = eventually(converged, timeout=30)
        assert views[0]["data"] == views[1]["data"]
        shown = [tile(p, client).inner_text() for p in (first, second)]
        assert shown[0] == shown[1] and "Ei vielä lähetetty" not in shown[0]

        # Online, a check-out on one tablet reaches the other by a poke over SSE, not by its timer.
        eventually(lambda: first.evaluate("() => window.kaari.engine().status.eventsConnected"))
        first.evaluate("() => { window.kaari.engine().reasons = []; }")
        tile(second, client).get_by_role("button", name=re.compile("Kirjaa lähteminen")).click()
        expect(tile(first, client)).to_have_attribute("data-state", "checked_out", timeout=10_000)
        assert "poke" in first.evaluate("() => window.kaari.engine().reasons")
    finally:
        one.close()
        two.close()


PINS = """async () => new Promise((ok) => {
  const r = indexedDB.open('kaari-device');
  r.onsuccess = () => {
    const g = r.result.transaction('state').objectStore('state').get('pins');
    g.onsuccess = () => {
      const pins = g.result ?? {};
      ok(Object.fromEntries(Object.entries(pins).map(([id, p]) => [p.user.username,
        {iterations: p.iterations, salt: p.salt.length, hash: p.hash.length, failures: p.failures, kept: Boolean(p.session)}])));
      r.result.close();
    };
  };
})"""


def set_pin(page: Page, pin: str) -> None:
    page.get_by_role("link", name="Etusivu").click()
    page.get_by_label("Uusi PIN-koodi").fill(pin)
    page.get_by_label("PIN-koodi uudelleen").fill(pin)
    page.get_by_role("button", name="Aseta PIN-koodi").click()
    expect(page.get_by_test_id("pin-notice")).to_have_text("PIN-koodi asetettu.")


def enter_pin(page: Page, name: str, pin: str) -> None:
    lock = page.get_by_test_id("lock-screen")
    lock.get_by_role("button", name=name).click()
    lock.get_by_label(f"PIN-koodi: {name}").fill(pin)
    lock.get_by_role("button", name="Avaa").click()


def test_pin_switch_lockout_and_idle_lock(browser: Browser, live_server: LiveServer, screenshot) -> None:
    live_server.cli(
        "user",
        "create",
        "paiva-ilta",
        "--name",
        "Iida Iltavuoro",
        "--role",
        "unit_staff:unit:oulu-da-1",
        "--password",
        "ilta-salasana",
    )
    context, page = tablet(browser, live_server, "Vuorotabletti")
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.post_data or ""))
    lock = page.get_by_test_id("lock-screen")
    try:
        set_pin(page, "2468")  # Päivi, after her sign-in with the password
        page.get_by_role("button", name="Vaihda käyttäjää").click()
        expect(lock).to_be_visible()
        expect(page.get_by_test_id("tile")).to_have_count(0)  # no client data behind the lock
        lock.get_by_role("button", name="Kirjaudu salasanalla").click()
        sign_in(page, "paiva-ilta", "ilta-salasana")  # Päivi's sign-in waits beside her PIN
        expect(page).to_have_url(re.compile(r"/paiva$"))
        set_pin(page, "1357")
        pins = page.evaluate(PINS)
        assert pins["paiva"] == {"iterations": 600_000, "salt": 16, "hash": 32, "failures": 0, "kept": True}
        assert pins["paiva-ilta"]["iterations"] >= 600_000 and not pins["paiva-ilta"]["kept"]

        # Offline, Iida checks a client in and Päivi comes back with her PIN (one wrong try first): her own
        # sign-in and replica; Iida's check-in waits in Iida's outbox. Iida never signed out online, so the
        # tablet's credential may not send it in her name: it waits for Iida's own next sign-in.
        page.get_by_role("link", name="Päivätoiminta").click()
        client = expected_clients(page, 1)[0]
        context.set_offline(True)
        tile(page, client).get_by_role("button", name=re.compile("Kirjaa saapuminen")).click()
        expect(tile(page, client)).to_contain_text("Ei vielä lähetetty")
        page.get_by_role("button", name="Vaihda käyttäjää").click()
        enter_pin(page, "Päivi Päivätoiminta", "0000")
        expect(page.get_by_test_id("lock-error")).to_have_text("Väärä PIN-koodi. Yrityksiä jäljellä: 4.")
        screenshot(page, "lock")
        lock.get_by_label("PIN-koodi: Päivi Päivätoiminta").fill("2468")
        lock.get_by_role("button", name="Avaa").click()
        expect(page.get_by_role("heading", name="Päivätoiminta", exact=True)).to_be_visible()
        assert page.evaluate("() => window.kaari.engine().user.username") == "paiva"
        expect(page.get_by_test_id("tile").first).to_be_visible()

        # Five wrong PINs for Iida: her PIN and kept sign-in are gone; a password sign-in is needed.
        page.get_by_role("button", name="Vaihda käyttäjää").click()
        lock.get_by_role("button", name="Iida Iltavuoro").click()
        for tries_left in (4, 3, 2, 1):
            lock.get_by_label("PIN-koodi: Iida Iltavuoro").fill("9999")
            lock.get_by_role("button", name="Avaa").click()
            expect(page.get_by_test_id("lock-error")).to_contain_text(
                "Yksi yritys jäljellä" if tries_left == 1 else f"Yrityksiä jäljellä: {tries_left}"
            )
        lock.get_by_label("PIN-koodi: Iida Iltavuoro").fill("9999")  # the fifth wrong one
        lock.get_by_role("button", name="Avaa").click()
        expect(page.get_by_test_id("lock-error")).to_contain_text("Liian monta väärää PIN-koodia")
        expect(lock.get_by_role("button", name="Iida Iltavuoro")).to_have_count(0)
        assert list(page.evaluate(PINS)) == ["paiva"]

        # The idle lock (shortened for the test) hides the roster, and a reload does not open it.
        enter_pin(page, "Päivi Päivätoiminta", "2468")
        expect(page.get_by_test_id("tile").first).to_be_visible()
        page.evaluate("() => localStorage.setItem('kaari.idleLockMs', '1500')")
        page.get_by_role("heading", name="Päivätoiminta", exact=True).click()  # input re-arms the timer
        expect(lock).to_be_visible(timeout=10_000)
        expect(page.get_by_test_id("tile")).to_have_count(0)
        page.reload()
        expect(lock).to_be_visible()
        page.evaluate("() => localStorage.removeItem('kaari.idleLockMs')")
        enter_pin(page, "Päivi Päivätoiminta", "2468")
        expect(page.get_by_test_id("tile").first).to_be_visible()
        context.set_offline(False)
        expect(page.get_by_test_id("sync-status")).to_contain_text("Kaikki lähetetty", timeout=30_000)
        iida = live_server.query("SELECT id FROM users WHERE username = 'paiva-ilta'")[0][0]
        by_iida = "SELECT updated_by FROM attendance WHERE client_id = ? AND checked_in_at IS NOT NULL"
        assert live_server.query(by_iida, (uuid.UUID(client).hex,)) == [], (
            "not sent in her name by the tablet"
        )
        page.get_by_role("button", name="Vaihda käyttäjää").click()
        lock.get_by_role("button", name="Kirjaudu salasanalla").click()
        sign_in(page, "paiva-ilta", "ilta-salasana")  # her own sign-in sends what she left
        eventually(lambda: live_server.query(by_iida, (uuid.UUID(client).hex,)) == [(iida,)], timeout=30)
        assert not [body for body in sent if "2468" in body or "1357" in body]  # no PIN ever left
    finally:
        context.close()
