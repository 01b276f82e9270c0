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
