"""Tasks on the screens of their roles, against the real server: a head count that does not match opens a
task for the unit's staff (/hoiva) and two overlapping stays one for the coordinators (/kotas), each made
to happen by real mutations and opened by the server's reconciliation job; each shows with its title and
explanation (and passes axe's WCAG 2.1 AA checks), is marked done offline and arrives done on the server
once online. A counsellor's urgent assessment at risk shows on /ohjaaja with a link to the assessment."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta

from playwright.sync_api import BrowserContext, Locator, Page, expect

from server.reference.models import reference_id
from tests.browser.conftest import LiveServer, engine_query, sign_in, wait_for_sync
from tests.browser.test_accessibility import audit, report

LOCAL_TODAY = "() => { const d = new Date(); d.setMinutes(d.getMinutes() - d.getTimezoneOffset()); return d.toISOString().slice(0, 10); }"
MUTATE = "async ([name, args]) => { await window.kaari.engine().mutate(name, args); }"


def task_status(server: LiveServer, task_id: str) -> list[tuple]:
    return server.query("SELECT status, outcome FROM tasks WHERE id = ?", (uuid.UUID(task_id).hex,))


def complete_offline(
    context: BrowserContext, page: Page, server: LiveServer, task: Locator, outcome: str
) -> None:
    """Mark the task done with no network; it reaches the server done once online."""
    task_id = task.get_attribute("data-task")
    context.set_offline(True)
    task.get_by_role("button", name="Tehty…").click()
    page.get_by_label("Mitä tehtiin?").fill(outcome)
    page.get_by_role("button", name="Kuittaa tehdyksi").click()
    expect(task).to_have_count(0)
    assert task_status(server, task_id) == [("open", None)]  # only on this device so far
    context.set_offline(False)
    expect(page.get_by_test_id("sync-status")).to_contain_text("Kaikki lähetetty", timeout=30_000)
    assert task_status(server, task_id) == [("done", outcome)]


def test_unit_and_coordinator_tasks_are_shown_and_completed_offline(
    browser, context: BrowserContext, page: Page, live_server: LiveServer, screenshot
) -> None:
    # The unit's staff: a head count of 99 in Lepola, whatever its occupancy, is a drift.
    page.goto("/")
    sign_in(page, "hoiva")
    expect(page).to_have_url(re.compile(r"/hoiva$"))
    wait_for_sync(page)
    day = page.evaluate(LOCAL_TODAY)
    lepola = str(reference_id("unit", "oulu-stc-1"))
    count = {"headcount_id": str(uuid.uuid4()), "unit_id": lepola, "date": day, "count": 99}
    page.evaluate(MUTATE, ["headcount.record", count])
    drift = page.locator('[data-testid="task"][data-kind="headcount_drift"]')
    expect(drift).to_have_count(1, timeout=30_000)  # opened by the job the count asked for, synced down
    expect(drift).to_contain_text("Henkilömäärä ei täsmää")
    expect(drift.get_by_test_id("task-explanation")).to_contain_text("Kirjattu henkilömäärä 99")
    found: dict[str, list[dict]] = {}
    audit(page, "hoiva with a task", found)  # the accessibility test sees the screens without tasks
    assert not found, report(found)
    complete_offline(context, page, live_server, drift, "Yksi jakso oli kirjaamatta.")

    # The coordinators: one client booked into two short-term units on the same day.
    coordinator = browser.new_context(base_url=live_server.url, viewport=page.viewport_size, locale="fi-FI")
    coordinator.set_default_timeout(15_000)
    try:
        office = coordinator.new_page()
        office.goto("/")
        sign_in(office, "kotas")
        wait_for_sync(office)
        office.goto("/kotas")
        wait_for_sync(office)
        client = engine_query(office, "stay")[0]["data"]["client_id"]  # coordinators hold stays, not clients
        when = (date.fromisoformat(day) + timedelta(days=45)).isoformat()
        for code in ("koillismaa-stc-1", "lakeus-stc-1"):
            stay = {
                "stay_id": str(uuid.uuid4()),
                "client_id": client,
                "unit_id": str(reference_id("unit", code)),
                "start_date": when,
                "end_date": when,
            }
            office.evaluate(MUTATE, ["stay.book", stay])
        # This pair's task: the client may already have other overlapping stays from other tests.
        overlap = office.locator('[data-testid="task"][data-kind="overlapping_stays"]').filter(
            has_text="Lyhytaikaisyksikkö Jäkälä"
        )
        expect(overlap).to_have_count(1, timeout=30_000)
        expect(overlap).to_contain_text("Päällekkäiset hoitojaksot")
        expect(overlap.get_by_test_id("task-explanation")).to_contain_text("Lyhytaikaisyksikkö Jäkälä")
        expect(overlap.get_by_role("link", name="Avaa paikkatilanne")).to_have_attribute(
            "href", re.compile(f"from={when}")
        )
        overlap.scroll_into_view_if_needed()
        screenshot(office, "tasks-kotas")
        complete_offline(coordinator, office, live_server, overlap, "Toinen jakso peruttu.")
    finally:
        coordinator.close()


def test_counsellor_sees_an_urgent_assessment_at_risk_with_a_link_to_it(
    page: Page, live_server: LiveServer
) -> None:
    page.goto("/")
    sign_in(page, "ohjaaja")
    wait_for_sync(page)
    page.goto("/ohjaaja")
    wait_for_sync(page)
    client = engine_query(page, "client")[0]["id"]
    assessment = str(uuid.uuid4())
    contacted = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    args = {"assessment_id": assessment, "client_id": client, "contacted_at": contacted, "urgent": True}
    page.evaluate(MUTATE, ["assessment.open", args])  # urgent: it must start today
    expect(page.get_by_test_id("sync-status")).to_contain_text("Kaikki lähetetty", timeout=30_000)
    live_server.cli("jobs", "run", "assessments.deadline_watch")  # the morning watcher, now
    task = page.locator('[data-testid="task"][data-kind="assessment_deadline"]').filter(
        has=page.locator(f'a[href*="{assessment}"]')
    )
    expect(task).to_have_count(1, timeout=30_000)
    expect(task).to_contain_text("Arvioinnin määräaika")
    expect(task.get_by_test_id("task-explanation")).to_contain_text("aloitettava viimeistään")
    task.get_by_role("link", name="Avaa arviointi").click()
    expect(page).to_have_url(re.compile(f"/ohjaus\\?tab=assessments&assessment_id={assessment}"))
