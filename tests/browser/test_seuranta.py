"""The supervisor's view (/seuranta) against the real server: the statutory worklist as the server computes
it, handing a process to another counsellor, the guidance statistics with their hidden cells, and the plain
offline message (the reports are never kept on the device)."""

from __future__ import annotations

import uuid

import httpx
from playwright.sync_api import BrowserContext, Page, expect

from server.clock import today_in_finland
from server.demo import demo_id
from tests.browser.conftest import LiveServer, eventually, sign_in, wait_for_service_worker, wait_for_sync


def month_back(months: int) -> str:
    """YYYY-MM of the month `months` before this one (Finnish time is close enough at midday)."""
    today = today_in_finland()
    index = today.year * 12 + today.month - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def test_supervisor_sees_the_worklist_and_hands_a_process_over(
    context: BrowserContext, page: Page, live_server: LiveServer, screenshot
) -> None:
    token = live_server.sign_in("ohjaus-esihenkilo")["access_token"]
    expected = httpx.get(
        f"{live_server.url}/api/assessments/deadlines",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    ).json()
    assert expected["overdue"], "the demo region has overdue assessments"

    page.goto("/")
    sign_in(page, "ohjaus-esihenkilo")
    wait_for_service_worker(page)
    wait_for_sync(page)
    page.get_by_role("link", name="Määräajat ja tilastot").click()
    overdue = page.get_by_test_id("overdue").get_by_test_id("worklist-row")
    expect(overdue).to_have_count(len(expected["overdue"]))
    expect(page.get_by_test_id("by-counsellor")).to_contain_text("Outi Neuvonen")
    screenshot(page, "seuranta", readme=True)

    # Outi's overdue process goes to Olli, a counsellor of the same area.
    item = next(i for i in expected["overdue"] if i["counsellor_name"] == "Outi Neuvonen")
    row = overdue.filter(has_text=item["client_name"])
    row.get_by_label(f"Siirrä asiakkaan {item['client_name']} arviointi palveluohjaajalle").select_option(
        label="Olli Ohjaaja"
    )
    row.get_by_role("button", name="Siirrä").click()
    expect(row.get_by_test_id("handed-over")).to_have_text("Siirretty: Olli Ohjaaja")
    olli = uuid.UUID(str(demo_id("user", "ohjaaja"))).hex
    responsible = "SELECT counsellor_id FROM assessments WHERE id = ?"
    eventually(
        lambda: live_server.query(responsible, (uuid.UUID(item["assessment_id"]).hex,)) == [(olli,)],
        timeout=30,
    )
    # The list is read again once the hand-over is on the server: Olli is now the responsible counsellor.
    expect(overdue.filter(has_text=item["client_name"])).to_contain_text("Olli Ohjaaja", timeout=30_000)

    # Statistics: every figure the server hid is shown as hidden, never as a number.
    answer = httpx.get(
        f"{live_server.url}/api/guidance/statistics/contacts",
        params={"from": month_back(5), "to": month_back(0), "dimension": "total"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
    ).json()
    shown = [r for r in answer["rows"] if r["level"] in ("region", "area")]
    page.get_by_role("tab", name="Tilastot").click()
    table = page.get_by_test_id("contact-stats")
    expect(table).to_be_visible(timeout=60_000)
    expect(table.locator("tbody tr")).to_have_count(len({r["area_id"] for r in shown}))
    expect(table.get_by_test_id("suppressed")).to_have_count(sum(r["contacts"] is None for r in shown))
    region_now = next(r for r in shown if r["level"] == "region" and r["month"] == month_back(0))
    this_month = table.locator("tr.region td").last  # hidden on a month's first days, when it has < 5
    if region_now["contacts"] is None:
        expect(this_month).to_have_attribute("data-testid", "suppressed")
    else:
        expect(this_month).to_have_text(str(region_now["contacts"]))
    expect(page.get_by_test_id("suppression-note")).to_be_visible()
    # By service point the counts are small: some are hidden, each shown as hidden.
    points = [r for r in answer["rows"] if r["level"] in ("region", "service_point")]
    hidden = sum(r["contacts"] is None for r in points)
    assert hidden > 0, "the demo region has small service-point counts"
    page.get_by_label("Ryhmittely").select_option(label="Palvelupisteet")
    expect(table.get_by_test_id("suppressed")).to_have_count(hidden)
    expect(table.locator("tbody tr")).to_have_count(
        len({(r["area_id"], r["service_point_id"]) for r in points})
    )
    screenshot(page, "seuranta-stats")

    context.set_offline(True)
    page.reload()
    expect(page.get_by_test_id("seuranta-offline")).to_contain_text("lasketaan palvelimella")
    expect(page.get_by_test_id("offline-notice")).to_be_visible()
    expect(page.get_by_test_id("worklist-row")).to_have_count(0)  # nothing of it was kept on the device
