"""The admin's screen (/admin) against the real server: device sync health with a device in trouble, a
conflict resolved side by side, a stale device's notification opening that device on the sync-health tab
(and an unknown or revoked device said so), a tablet enrolled with the code shown and then revoked, a role
given and taken away, and the access-log search."""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Browser, Page, expect

from server.demo import demo_id
from server.reference.models import reference_id
from tests.browser.conftest import (
    TABLET,
    LiveServer,
    engine_query,
    enrol_tablet,
    eventually,
    sign_in,
    wait_for_sync,
)

# A new client of the counsellor's own (other tests' clients stay untouched).
NEW_CLIENT = """async ([id, municipality]) => {
  await window.kaari.engine().mutate('client.create', {client_id: id, first_name: 'Ristiina', last_name: 'Riitanen', municipality_id: municipality, birth_date: '1939-12-31'});
}"""
# A change of its birth date from revision 1, which another device has changed since: a conflict.
STALE_CHANGE = """async (id) => {
  await window.kaari.engine().mutate('client.update', {client_id: id, changes: {birth_date: '1941-03-04'}}, {baseVersion: 1});
}"""
FORBIDDEN_CHECK_IN = """async ([client, unit]) => {
  const at = new Date().toISOString();
  await window.kaari.engine().mutate('attendance.check_in', {client_id: client, unit_id: unit, date: at.slice(0, 10), at});
}"""


def sign_in_as(browser: Browser, server: LiveServer, username: str) -> Page:
    page = browser.new_context(base_url=server.url, viewport=TABLET, locale="fi-FI").new_page()
    page.context.set_default_timeout(15_000)
    page.goto("/")
    sign_in(page, username)
    wait_for_sync(page)
    return page


def counsellor_makes_trouble(browser: Browser, server: LiveServer) -> tuple[str, str]:
    """The counsellor's laptop: a stale change of a client's birth date (their other device changed it: a
    conflict) and a check-in a counsellor may not make (rejected). Returns the client's id and the laptop's
    replica id."""
    laptop = sign_in_as(browser, server, "ohjaaja")
    try:
        client = str(uuid.uuid4())
        oulu = str(reference_id("area", "oulu"))
        municipality = next(
            m["id"] for m in engine_query(laptop, "municipality") if m["data"]["area_id"] == oulu
        )
        laptop.evaluate(NEW_CLIENT, [client, municipality])
        eventually(lambda: server.query("SELECT 1 FROM clients WHERE id = ?", (uuid.UUID(client).hex,)))
        change = {"client_id": client, "changes": {"birth_date": "1940-01-02"}}
        assert server.push_from_another_device("ohjaaja", "client.update", change, 1)["status"] == "applied"
        laptop.evaluate(STALE_CHANGE, client)
        laptop.evaluate(FORBIDDEN_CHECK_IN, [client, str(reference_id("unit", "oulu-da-1"))])
        wait_for_sync(laptop)
        eventually(lambda: laptop.evaluate("() => window.kaari.engine().status.pending") == 0, timeout=30)
        return client, laptop.evaluate("() => window.kaari.engine().state.client_id")
    finally:
        laptop.context.close()


def test_admin_sees_a_device_in_trouble_and_resolves_a_conflict(
    browser: Browser, page: Page, live_server: LiveServer, screenshot
) -> None:
    client, replica = counsellor_makes_trouble(browser, live_server)
    decided = "SELECT status, resolution FROM conflicts WHERE record_id = ?"
    assert live_server.query(decided, (client,)) == [("open", None)]

    page.goto("/")
    sign_in(page, "admin")
    wait_for_sync(page)
    page.goto("/admin")
    # This laptop's row (Olli may have other devices from other tests).
    troubled = page.locator(f'[data-testid="health-row"][data-replica="{replica}"]')
    expect(troubled).to_contain_text("Olli Ohjaaja")
    expect(troubled).to_be_visible()
    expect(troubled.get_by_test_id("flag")).to_contain_text(["Virheitä"])
    expect(troubled.locator("td").nth(6)).to_have_text("1")  # rejected in the last day
    expect(page.get_by_test_id("health-chart")).to_be_visible()
    screenshot(page, "admin", readme=True)

    page.get_by_role("tab", name="Ristiriidat (1)").click()
    item = page.get_by_test_id("admin-conflict")
    expect(item).to_have_count(1)
    expect(item.get_by_test_id("kept")).to_have_text("1940-01-02")
    expect(item.get_by_test_id("proposed")).to_have_text("1941-03-04")
    expect(item).to_contain_text("Olli Ohjaaja")  # who proposed it
    screenshot(page, "admin-conflicts")
    item.get_by_role("button", name="Valitse ehdotettu").click()
    expect(page.get_by_test_id("no-conflicts")).to_be_visible()  # at once, on this device
    expect(page.get_by_test_id("resolved-conflicts")).to_contain_text("Ehdotettu valittiin")
    wait_for_sync(page)
    eventually(lambda: live_server.query(decided, (client,)) == [("resolved", "proposed")])
    assert live_server.query("SELECT birth_date FROM clients WHERE id = ?", (uuid.UUID(client).hex,)) == [
        ("1941-03-04",)
    ]


def laptop_goes_quiet(browser: Browser, server: LiveServer) -> tuple[str, str]:
    """A counsellor's laptop that synced, then said it had 3 writes waiting and was not heard of for two
    hours: stale. No test can wait an hour, so its last pull and report are set back in the server's
    database. Returns the device's id and the replica's."""
    laptop = sign_in_as(browser, server, "ohjaaja")
    try:
        replica = laptop.evaluate("() => window.kaari.engine().state.client_id")
    finally:
        laptop.context.close()
    [(device, health)] = server.query(
        "SELECT device_id, health FROM sync_clients WHERE id = ?", (uuid.UUID(replica).hex,)
    )
    before = (datetime.now(UTC) - timedelta(hours=2)).replace(tzinfo=None)
    report = {**json.loads(health), "outbox_depth": 3, "oldest_pending_at": before.isoformat() + "Z"}
    with sqlite3.connect(server.data_dir / "kaari.sqlite3", timeout=30) as db:
        db.execute(
            "UPDATE sync_clients SET last_pull_at = ?, health = ? WHERE id = ?",
            (before.isoformat(sep=" "), json.dumps(report), uuid.UUID(replica).hex),
        )
    return str(uuid.UUID(device)), replica


def test_a_stale_devices_notification_opens_that_device(
    browser: Browser, page: Page, live_server: LiveServer
) -> None:
    device, replica = laptop_goes_quiet(browser, live_server)
    page.goto("/")
    sign_in(page, "admin")
    wait_for_sync(page)
    live_server.cli("jobs", "run", "sync.alert_stale_devices")
    notification = eventually(
        lambda: next(
            (n for n in engine_query(page, "notification") if n["data"]["ids"].get("device_id") == device),
            None,
        ),
        timeout=30,
    )
    assert notification["data"]["kind"] == "device_stale"
    assert notification["data"]["url"] == f"/admin?device_id={device}"

    page.get_by_test_id("inbox-link").click()
    page.locator(f'[data-testid="notification"][data-id="{notification["id"]}"]').get_by_role("link").click()
    # The sync-health tab with that device picked out, scrolled to, and its details under its rows.
    expect(page.get_by_role("tab", name="Synkronointi")).to_have_attribute("aria-selected", "true")
    rows = page.locator(f'[data-testid="health-row"][data-device-id="{device}"]')
    expect(rows.first).to_have_class("selected")
    expect(rows.first).to_be_in_viewport()
    expect(page.locator('[data-testid="health-row"].selected')).to_have_count(rows.count())  # only its rows
    expect(rows.first.get_by_test_id("flag")).to_contain_text(["Ei synkronoi"])
    detail = page.get_by_test_id("device-detail")
    expect(detail).to_be_in_viewport()
    replica_detail = detail.locator(f'[data-testid="replica-detail"][data-replica="{replica}"]')
    expect(replica_detail).to_contain_text("Olli Ohjaaja")
    expect(replica_detail.get_by_test_id("detail-outbox")).to_have_text("3")
    build = live_server.query("SELECT app_build FROM sync_clients WHERE id = ?", (uuid.UUID(replica).hex,))[
        0
    ][0]
    expect(replica_detail.get_by_test_id("detail-build")).to_have_text(build)
    expect(page.get_by_test_id("device-not-found")).to_have_count(0)

    # Back to every device: nothing is picked out and the query is clean.
    detail.get_by_role("button", name="Näytä kaikki laitteet").click()
    expect(page.get_by_test_id("device-detail")).to_have_count(0)
    expect(page).to_have_url(f"{live_server.url}/admin")

    # An id the server does not know (an old or mistyped link) is said so, not shown as nothing.
    page.goto(f"/admin?device_id={uuid.uuid4()}")
    expect(page.get_by_test_id("device-not-found")).to_contain_text("Laitetta ei löydy")
    expect(page.get_by_test_id("health-table")).to_be_visible()  # the other devices are still there
    expect(page.locator('[data-testid="health-row"].selected')).to_have_count(0)


def test_admin_enrols_a_tablet_with_the_code_shown_and_revokes_it(
    browser: Browser, page: Page, live_server: LiveServer
) -> None:
    page.goto("/")
    sign_in(page, "admin")
    wait_for_sync(page)
    page.goto("/admin?tab=devices")
    form = page.get_by_test_id("enrol-form")
    form.get_by_label("Yksikkö").select_option(label="Päiväkeskus Väinölä")
    form.get_by_label("Laitteen nimi").fill("Väinölän tabletti 7")
    form.get_by_role("button", name="Tee käyttöönottokoodi").click()
    code = page.get_by_test_id("code").inner_text()
    assert len(code) == 14 and code.count("-") == 2

    tablet = browser.new_context(base_url=live_server.url, viewport=TABLET, locale="fi-FI").new_page()
    try:
        enrol_tablet(tablet, code)
        page.get_by_role("button", name="Päivitä").click()
        row = page.get_by_test_id("device-row").filter(has_text="Väinölän tabletti 7")
        expect(row.get_by_test_id("device-state")).to_have_text("Käytössä")
        row.get_by_test_id("revoke").click()
        row.get_by_role("button", name="Poista käytöstä").click()  # the confirmation
        expect(row.get_by_test_id("device-state")).to_contain_text("Poistettu käytöstä")
        revoked = live_server.query(
            "SELECT id, revoked_at FROM devices WHERE name = ?", ("Väinölän tabletti 7",)
        )
        assert revoked and revoked[0][1] is not None

        sign_in(tablet, "paiva")  # the tablet's next call is told to erase everything
        expect(tablet.get_by_text("Tämä laite on poistettu käytöstä")).to_be_visible()
        assert tablet.evaluate("async () => (await indexedDB.databases()).length") == 0
    finally:
        tablet.context.close()

    # A link to the revoked tablet shows it with the revocation said plainly.
    page.goto(f"/admin?device_id={uuid.UUID(revoked[0][0])}")
    expect(page.get_by_test_id("device-detail")).to_contain_text("Väinölän tabletti 7")
    expect(page.get_by_test_id("device-revoked")).to_contain_text("poistettu käytöstä")


def test_admin_gives_and_takes_a_role_and_searches_the_access_log(
    page: Page, live_server: LiveServer
) -> None:
    page.goto("/")
    sign_in(page, "admin")
    wait_for_sync(page)
    page.goto("/admin?tab=users")
    row = page.get_by_test_id("user-row").filter(has_text="hoiva")
    row.get_by_test_id("add-role").click()
    row.get_by_label("Rooli", exact=True).select_option(label="Koordinaattori")
    row.get_by_label("Missä", exact=True).select_option(label="Kaikki alueet")
    row.get_by_role("button", name="Lisää", exact=True).click()
    expect(page.get_by_test_id("users-notice")).to_contain_text("Koordinaattori lisätty")
    hoiva = uuid.UUID(str(demo_id("user", "hoiva"))).hex
    roles = "SELECT role FROM role_assignments WHERE user_id = ? ORDER BY role"
    assert live_server.query(roles, (hoiva,)) == [("coordinator",), ("unit_staff",)]
    row.get_by_role("button", name="Poista rooli: Koordinaattori · Kaikki alueet").click()
    expect(page.get_by_test_id("users-notice")).to_contain_text("Koordinaattori poistettu")
    assert live_server.query(roles, (hoiva,)) == [("unit_staff",)]
    # Your own admin role has no remove button (the server refuses it too).
    own = page.get_by_test_id("user-row").filter(has_text="Aino Pääkäyttäjä")
    expect(own.get_by_role("button", name="Poista rooli: Pääkäyttäjä · Kaikki alueet")).to_have_count(0)

    client = live_server.query("SELECT id FROM clients LIMIT 1")[0][0]
    page.get_by_role("tab", name="Lokihaku").click()
    page.get_by_label("Asiakkaan tunniste").fill(str(uuid.UUID(client)))
    page.get_by_role("button", name="Hae", exact=True).click()
    expect(page.get_by_test_id("log-row").first).to_be_visible()
    # The search itself is logged, on the basis of supervising the log.
    expect(page.get_by_test_id("log-results")).to_contain_text("admin:access_log_supervision")
    page.get_by_role("button", name="Tarkista lokin eheys").click()
    expect(page.get_by_test_id("chain")).to_contain_text("Loki on ehjä")
