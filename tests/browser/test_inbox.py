"""The notifications inbox and the push switch (pwa_shell/src/views/kaari-inbox.js, kaari-push-switch.js)
against the real server: a coordinator's booking cancelled on the server frees a place, the server's
free-places notification reaches the coordinator's replica by sync and shows in the inbox with the unread
count; opening it (offline, by keyboard) goes to its view and marks it read, on the server once online.
The browser's permission for notifications is not asked on load, only after the click; a subscription the
browser cannot make (headless Chromium has no push service) is reported to the user plainly and the switch
stays off. A counsellor's urgent assessment at risk gives them the deadline notification, which opens the
assessment."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from playwright.sync_api import BrowserContext, Page, expect

from server.clock import today_in_finland
from server.reference.models import reference_id
from tests.browser.conftest import (
    MUTATE,
    LiveServer,
    engine_query,
    eventually,
    sign_in,
    wait_for_service_worker,
    wait_for_sync,
)
from tests.browser.test_accessibility import audit, report

PERMISSION = "() => Notification.permission"


def test_a_freed_place_reaches_the_inbox_and_opening_it_marks_it_read(
    context: BrowserContext, page: Page, live_server: LiveServer, screenshot
) -> None:
    page.goto("/")
    sign_in(page, "kotas")
    wait_for_sync(page)
    wait_for_service_worker(page)
    page.goto("/kotas?tab=inbox")
    wait_for_sync(page)
    expect(page.get_by_test_id("push-state")).to_have_attribute("data-state", "off")
    assert page.evaluate(PERMISSION) == "default", "no permission asked on load"

    # A stay booked and then cancelled: the cancellation frees a place in Ankkuri that day (a unit no other
    # browser test books, so no other test's freed place shares its notification, coalesced by unit).
    ankkuri = str(reference_id("unit", "rannikkoseutu-stc-1"))
    when = (today_in_finland() + timedelta(days=52)).isoformat()
    stay = {
        "stay_id": str(uuid.uuid4()),
        "client_id": engine_query(page, "stay")[0]["data"]["client_id"],
        "unit_id": ankkuri,
        "start_date": when,
        "end_date": when,
    }
    page.evaluate(MUTATE, ["stay.book", stay])
    page.evaluate(MUTATE, ["stay.cancel", {"stay_id": stay["stay_id"]}])

    notification = eventually(  # made by the server's job, synced down
        lambda: next(
            (n for n in engine_query(page, "notification") if n["data"]["ids"].get("unit_id") == ankkuri),
            None,
        ),
        timeout=30,
    )
    assert notification["data"]["ids"]["date"] == when
    mine = page.locator(f'[data-testid="notification"][data-id="{notification["id"]}"]')
    expect(mine).to_contain_text("Lyhytaikaisyksikkö Ankkuri")
    expect(mine).to_have_attribute("data-read", "false")
    expect(mine.get_by_test_id("unread")).to_have_text("Lukematon")
    expect(page.get_by_test_id("inbox-link")).to_have_attribute("aria-label", re.compile(r"lukemato"))
    expect(page.get_by_role("tab", name=re.compile(r"Ilmoitukset, \d+ lukemato"))).to_be_visible()
    screenshot(page, "inbox-kotas", readme=True)
    found: dict[str, list[dict]] = {}
    audit(page, "kotas inbox", found)  # WCAG 2.1 AA: labels, contrast, the tab with its count
    assert not found, report(found)

    # Opened offline, by keyboard: read on this device at once, on the server once online.
    context.set_offline(True)
    mine.get_by_role("link").press("Enter")
    expect(page).to_have_url(re.compile(rf"/kotas\?unit_id={ankkuri}&from={when}$"))
    local = next(n for n in engine_query(page, "notification") if n["id"] == notification["id"])
    assert local["data"]["read_at"] and local["pending"], "read on this device, not yet sent"
    row_id = uuid.UUID(notification["id"]).hex
    read_at = "SELECT read_at FROM notifications WHERE id = ?"
    assert live_server.query(read_at, (row_id,)) == [(None,)]
    context.set_offline(False)
    eventually(lambda: live_server.query(read_at, (row_id,))[0][0], timeout=30)
    page.get_by_test_id("inbox-link").click()  # the header's link: /ilmoitukset shows it read
    expect(page).to_have_url(re.compile(r"/ilmoitukset$"))
    expect(page.locator(f'[data-testid="notification"][data-id="{notification["id"]}"]')).to_have_attribute(
        "data-read", "true"
    )

    # Switching push on: asked only now, after the click; headless Chromium cannot subscribe (no push
    # service), which the user is told plainly, and nothing is registered on the server.
    assert page.evaluate(PERMISSION) == "default"
    context.grant_permissions(["notifications"])
    page.get_by_role("button", name="Ota ilmoitukset käyttöön").click()
    expect(page.get_by_role("alert")).to_contain_text("Ilmoituksia ei voitu ottaa käyttöön", timeout=30_000)
    expect(page.get_by_test_id("push-state")).to_have_attribute("data-state", "off")
    assert live_server.query("SELECT count(*) FROM push_subscriptions") == [(0,)]


def test_a_counsellors_assessment_at_risk_reaches_the_inbox_and_opens_the_assessment(
    page: Page, live_server: LiveServer
) -> None:
    # Leena (area Lakeus): no other browser test signs in as her or opens her assessments.
    page.goto("/")
    sign_in(page, "ohjaaja-lakeus")
    wait_for_sync(page)
    client = engine_query(page, "client")[0]
    assessment = str(uuid.uuid4())
    contacted = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    args = {"assessment_id": assessment, "client_id": client["id"], "contacted_at": contacted, "urgent": True}
    page.evaluate(MUTATE, ["assessment.open", args])  # urgent: it must start today, so it is at risk now
    expect(page.get_by_test_id("sync-status")).to_contain_text("Kaikki lähetetty", timeout=30_000)
    # The morning watcher, now: it opens the task and asks at once for the notification's job, which the
    # server's runner does (the job takes the assessment's id, so `jobs run` cannot run it by name).
    live_server.cli("jobs", "run", "assessments.deadline_watch")
    notification = eventually(
        lambda: next(
            (
                n
                for n in engine_query(page, "notification")
                if n["data"]["ids"].get("assessment_id") == assessment
            ),
            None,
        ),
        timeout=30,
    )
    assert notification["data"]["kind"] == "deadline_at_risk"

    page.get_by_test_id("inbox-link").click()
    mine = page.locator(f'[data-testid="notification"][data-id="{notification["id"]}"]')
    expect(mine).to_have_attribute("data-read", "false")
    unread = sum(1 for n in engine_query(page, "notification") if not n["data"]["read_at"])
    expect(page.get_by_test_id("inbox-link")).to_have_attribute(
        "aria-label", re.compile(rf"\b{unread} lukemato")
    )
    mine.get_by_role("link").click()
    # Lands on the guidance screen with that assessment shown, and the notification is read on the server.
    expect(page).to_have_url(re.compile(rf"/ohjaus\?.*\bassessment_id={assessment}"))
    detail = page.get_by_test_id("assessment-detail")
    name = f"{client['data']['first_name']} {client['data']['last_name']}"
    expect(detail.get_by_role("heading", level=2)).to_contain_text(name)
    expect(detail.get_by_test_id("assessment-status")).to_contain_text("Yhteydenotto, ei aloitettu")
    read_at = "SELECT read_at FROM notifications WHERE id = ?"
    eventually(lambda: live_server.query(read_at, (uuid.UUID(notification["id"]).hex,))[0][0], timeout=30)
