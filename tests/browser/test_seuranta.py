"""The supervisor's view (/seuranta) against the real server: the statutory worklist as the server computes
it, handing a process to another counsellor, and the plain offline message (the reports are never kept on
the device)."""

from __future__ import annotations

import uuid

import httpx
from playwright.sync_api import BrowserContext, Page, expect

from server.demo import demo_id
from tests.browser.conftest import LiveServer, eventually, sign_in, wait_for_service_worker, wait_for_sync


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

    context.set_offline(True)
    page.reload()
    expect(page.get_by_test_id("seuranta-offline")).to_contain_text("lasketaan palvelimella")
    expect(page.get_by_test_id("offline-notice")).to_be_visible()
    expect(page.get_by_test_id("worklist-row")).to_have_count(0)  # nothing of it was kept on the device
