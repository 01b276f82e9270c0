"""Housing and short-term care (/hoiva) in a real browser: the unit's bookings, a stay booked offline for
today that shows in care (arriving, pending confirmation) through a reload and is confirmed by the server,
then cancelled."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import LiveServer, sign_in, wait_for_service_worker, wait_for_sync

LOCAL_TODAY = "() => { const d = new Date(); d.setMinutes(d.getMinutes() - d.getTimezoneOffset()); return d.toISOString().slice(0, 10); }"


def test_stay_booked_offline_shows_in_care_until_confirmed_then_cancelled(
    context: BrowserContext, page: Page, live_server: LiveServer, screenshot
) -> None:
    page.goto("/")
    sign_in(page, "hoiva")  # staff of the short-term care unit Lepola: two bookings, none today
    expect(page).to_have_url(re.compile(r"/hoiva$"))  # housing staff land on their screen
    expect(page.get_by_role("heading", name="Asuminen ja lyhytaikaishoito")).to_be_visible()
    wait_for_service_worker(page)
    wait_for_sync(page)
    expect(page.get_by_test_id("unit-name")).to_contain_text("Lyhytaikaisyksikkö Lepola")
    bookings = page.get_by_test_id("booking")
    expect(bookings).to_have_count(2)
    day = page.evaluate(LOCAL_TODAY)
    before = page.get_by_test_id("in-care-row").count()

    context.set_offline(True)
    page.get_by_role("button", name="Uusi varaus").click()
    form = page.get_by_test_id("booking-form")
    client = form.get_by_label("Asiakas").locator("option").nth(1).get_attribute("value")
    form.get_by_label("Asiakas").select_option(client)
    form.get_by_label("Alkaa").fill(day)
    form.get_by_role("button", name="Varaa").click()
    row = page.locator(f'[data-testid="in-care-row"][data-client="{client}"]')
    expect(row).to_contain_text("Odottaa vahvistusta")
    expect(row).to_contain_text("Saapuu tänään")
    expect(page.get_by_test_id("in-care-row")).to_have_count(before + 1)
    expect(page.get_by_test_id("arriving")).to_have_count(1)

    page.reload()  # offline: still there, still waiting for the server
    expect(row).to_contain_text("Odottaa vahvistusta")
    expect(bookings).to_have_count(3)

    context.set_offline(False)
    expect(page.get_by_test_id("sync-status")).to_contain_text("Kaikki lähetetty", timeout=30_000)
    expect(row).not_to_contain_text("Odottaa vahvistusta")
    expect(row).to_contain_text("Saapuu tänään")
    stays = live_server.query(
        "SELECT id, status FROM stays WHERE client_id = ? AND start_date = ?", (uuid.UUID(client).hex, day)
    )
    assert [s[1] for s in stays] == ["booked"]
    screenshot(page, "hoiva", readme=True)

    page.once("dialog", lambda dialog: dialog.accept())  # "Perutaanko …?"
    stay = page.locator(f'[data-testid="booking"][data-stay="{uuid.UUID(stays[0][0])}"]')
    stay.get_by_role("button", name=re.compile("Peru")).click()
    expect(row).to_have_count(0)
    expect(page.get_by_test_id("sync-status")).to_contain_text("Kaikki lähetetty", timeout=30_000)
    assert live_server.query("SELECT status FROM stays WHERE id = ?", (stays[0][0],)) == [("cancelled",)]


def test_resident_absence_recorded_offline_frees_the_place_in_the_list(
    context: BrowserContext, page: Page, live_server: LiveServer
) -> None:
    live_server.cli(
        "user",
        "create",
        "hoiva-luotola",
        "--name",
        "Liisa Luotola",
        "--role",
        "unit_staff:unit:oulu-h24-3",
        "--password",
        "luotola-salasana",
    )
    page.goto("/")
    sign_in(page, "hoiva-luotola", "luotola-salasana")  # staff of a 24h housing unit
    expect(page).to_have_url(re.compile(r"/hoiva$"))
    wait_for_sync(page)
    rows = page.get_by_test_id("in-care-row")
    expect(rows.first).to_contain_text("Asukas")
    before = rows.count()
    resident = rows.first.get_attribute("data-client")
    day = page.evaluate(LOCAL_TODAY)
    until = page.evaluate(
        "(d) => { const t = new Date(d + 'T12:00:00'); t.setDate(t.getDate() + 3); return t.toLocaleDateString('sv'); }",
        day,
    )

    context.set_offline(True)
    rows.first.get_by_role("button", name=re.compile("Kirjaa poissaolo")).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Sairaalassa").check()
    dialog.get_by_label("Päättyy").fill(until)
    dialog.get_by_role("button", name="Tallenna poissaolo").click()
    away = page.get_by_test_id("away")
    expect(away).to_contain_text("Sairaalassa")
    expect(away).to_contain_text("Ei vielä lähetetty")
    expect(rows).to_have_count(before - 1)  # away, not in care

    context.set_offline(False)
    expect(page.get_by_test_id("sync-status")).to_contain_text("Kaikki lähetetty", timeout=30_000)
    expect(away).not_to_contain_text("Ei vielä lähetetty")
    stored = live_server.query(
        "SELECT a.reason, a.start_date, a.end_date FROM residency_absences a "
        "JOIN residencies r ON r.id = a.residency_id WHERE r.client_id = ? AND a.start_date = ?",
        (uuid.UUID(resident).hex, day),
    )
    assert stored == [("hospital", day, until)]
