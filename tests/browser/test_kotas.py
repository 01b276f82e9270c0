"""The coordinator's screen (/kotas) against the real server: the free-places board and its filters (online
and offline, from the replica), and offering a place from the queue, including an offline offer the server
refuses that then shows in Needs attention."""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, BrowserContext, Page, expect

from server.reference.models import reference_id
from tests.browser.conftest import (
    TABLET,
    LiveServer,
    engine_query,
    eventually,
    sign_in,
    wait_for_service_worker,
    wait_for_sync,
)

LOCAL_TODAY = "() => { const d = new Date(); d.setMinutes(d.getMinutes() - d.getTimezoneOffset()); return d.toISOString().slice(0, 10); }"


def open_kotas(page: Page, query: str = "") -> None:
    page.goto("/")
    sign_in(page, "kotas")
    wait_for_sync(page)
    page.goto(f"/kotas{query}")


def board_codes(page: Page) -> list[str]:
    return page.get_by_test_id("board-row").evaluate_all("(rows) => rows.map((r) => r.dataset.unit)")


def free_on(page: Page, unit_id: str, day: str) -> int:
    return next(
        p["data"]["free"]
        for p in engine_query(page, "free_places")
        if p["data"]["unit_id"] == unit_id and p["data"]["date"] == day
    )


def test_board_shows_every_units_free_places_and_filters_them_offline_too(
    context: BrowserContext, page: Page, unit_names, screenshot
) -> None:
    open_kotas(page)
    wait_for_service_worker(page)
    expect(page.get_by_test_id("board-row")).to_have_count(len(unit_names))
    expect(page.get_by_test_id("occupancy")).to_be_visible()  # the chart
    day = page.evaluate(LOCAL_TODAY)
    # The board's first-day figure is the sum of the published free places of every unit.
    expected = sum(
        max(0, p["data"]["free"]) for p in engine_query(page, "free_places") if p["data"]["date"] == day
    )
    expect(page.get_by_test_id("free-first-day")).to_have_text(str(expected))
    screenshot(page, "kotas", readme=True)

    page.get_by_label("Alue").select_option(label="Oulu")
    expect(page.get_by_test_id("board-row")).to_have_count(7)
    assert all(code.startswith("oulu-") for code in board_codes(page))
    page.get_by_label("Yksikön tyyppi").select_option(label="Lyhytaikaishoito")
    expect(page.get_by_test_id("board-row")).to_have_count(2)
    assert sorted(board_codes(page)) == ["oulu-stc-1", "oulu-stc-2"]
    assert "area_id=" in page.url and "kind=short_term_care" in page.url  # a reload keeps the filters

    context.set_offline(True)
    page.reload()  # offline: the app from the service worker, the board from IndexedDB
    expect(page.get_by_test_id("connection")).to_have_text("Ei verkkoyhteyttä")
    expect(page.get_by_test_id("board-row")).to_have_count(2)
    page.get_by_role(
        "button", name="Lyhytaikaisyksikkö Lepola"
    ).click()  # one unit, as a notification opens it
    expect(page.get_by_test_id("board-row")).to_have_count(1)
    expect(page.get_by_test_id("unit-filter")).to_contain_text("Lyhytaikaisyksikkö Lepola")
    free = page.get_by_test_id("board-row").get_by_test_id("total-free").inner_text()
    window = page.locator("#from").input_value(), page.locator("#to").input_value()
    lepola = str(reference_id("unit", "oulu-stc-1"))
    total = sum(
        max(0, p["data"]["free"])
        for p in engine_query(page, "free_places")
        if p["data"]["unit_id"] == lepola and window[0] <= p["data"]["date"] <= window[1]
    )
    assert int(free) == total
    context.set_offline(False)


def offer_from_ui(page: Page) -> tuple[str, str]:
    """Offer the first waiting entry shown a place with the form's defaults: (entry id, unit id)."""
    row = page.get_by_test_id("queue-row").filter(has=page.get_by_test_id("offer-button")).first
    entry = row.get_attribute("data-entry")
    row.get_by_test_id("offer-button").click()
    form = page.get_by_test_id("offer-form")
    expect(form).to_be_visible()
    unit = form.get_by_label("Yksikkö").input_value()
    form.get_by_role("button", name="Tee tarjous").click()
    expect(page.get_by_test_id("queue-notice")).to_be_visible()
    return entry, unit


def open_offers(server: LiveServer) -> list[tuple[str, str, str]]:
    return server.query("SELECT queue_entry_id, unit_id, status FROM offers WHERE status = 'open'")


def test_offering_a_place_holds_it_and_a_refused_offer_shows_in_needs_attention(
    browser: Browser, context: BrowserContext, page: Page, live_server: LiveServer, screenshot
) -> None:
    open_kotas(page, "?tab=queue&service_kind=short_term_care")
    expect(page.get_by_test_id("queue-row").first).to_be_visible()
    day = page.evaluate(LOCAL_TODAY)
    before = len(open_offers(live_server))
    free = {
        p["data"]["unit_id"]: p["data"]["free"]
        for p in engine_query(page, "free_places")
        if p["data"]["date"] == day
    }

    entry, unit = offer_from_ui(page)
    expect(page.locator(f'[data-entry="{entry}"]')).to_contain_text("Paikkaa tarjottu")
    wait_for_sync(page)
    eventually(lambda: (uuid.UUID(entry).hex, uuid.UUID(unit).hex, "open") in open_offers(live_server))
    eventually(lambda: free_on(page, unit, day) == free[unit] - 1)  # the open offer holds its place
    screenshot(page, "kotas-queue")

    # Offline, this coordinator offers the next entry; meanwhile a colleague offers it first.
    context.set_offline(True)
    entry_id, unit = offer_from_ui(page)
    expect(page.get_by_test_id("queue-notice")).to_contain_text("tälle laitteelle")
    expect(page.locator(f'[data-entry="{entry_id}"]')).to_contain_text("Ei vielä lähetetty")
    expect(page.get_by_test_id("sync-status")).to_contain_text("ei vielä lähetetty (1)")

    colleague = browser.new_context(base_url=live_server.url, viewport=TABLET, locale="fi-FI")
    try:
        other = colleague.new_page()
        other.goto("/")
        sign_in(other, "kotas")
        wait_for_sync(other)
        args = {"offer_id": str(uuid.uuid4()), "queue_entry_id": entry_id, "unit_id": unit, "start_date": day}
        args["end_date"] = day
        other.evaluate(
            "async (args) => { await window.kaari.engine().mutate('placement.offer', args); }", args
        )
        wait_for_sync(other)
        eventually(lambda: len(open_offers(live_server)) == before + 2)
    finally:
        colleague.close()

    context.set_offline(False)
    attention = page.get_by_test_id("attention-link")
    expect(attention).to_be_visible(timeout=30_000)
    attention.click()
    item = page.get_by_test_id("attention-item")
    expect(item).to_contain_text("Paikkatarjous")
    expect(item).to_contain_text("already_offered")
    assert len(open_offers(live_server)) == before + 2  # the colleague's offer, not a second one


def test_a_new_referrals_link_marks_its_queue_entry(page: Page, live_server: LiveServer) -> None:
    # The url the referral's notification carries (notifications/rules.py): its group, and its row marked.
    open_kotas(page, "?tab=queue")
    wait_for_sync(page)
    entry = next(e for e in engine_query(page, "queue_entry") if e["data"]["status"] == "waiting")
    group = f"service_kind={entry['data']['service_kind']}&area_id={entry['data']['area_id']}"
    page.goto(f"/kotas?tab=queue&{group}&queue_entry_id={entry['id']}")
    expect(page.locator(f'[data-testid="queue-row"][data-entry="{entry["id"]}"]')).to_have_class("highlight")
    expect(page.locator('[data-testid="queue-row"].highlight')).to_have_count(1)


def test_a_link_to_an_entry_further_down_the_queue_scrolls_to_it(page: Page, live_server: LiveServer) -> None:
    open_kotas(page, "?tab=queue")
    wait_for_sync(page)
    rows = page.get_by_test_id("queue-row")
    expect(rows.first).to_be_visible()
    last = rows.last
    entry_id = last.get_attribute("data-entry")
    expect(last).not_to_be_in_viewport()  # the demo queue is longer than the tablet's screen
    page.goto(f"/kotas?tab=queue&queue_entry_id={entry_id}")
    marked = page.locator(f'[data-testid="queue-row"][data-entry="{entry_id}"]')
    expect(marked).to_have_class("highlight")
    expect(marked).to_be_in_viewport()
