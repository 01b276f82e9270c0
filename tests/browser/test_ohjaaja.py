"""The counsellor's screen (/ohjaaja) and Needs attention in a real browser against the real server."""

from __future__ import annotations

import re
import uuid

import httpx
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import (
    MUTATE,
    LiveServer,
    engine_query,
    eventually,
    sign_in,
    wait_for_service_worker,
    wait_for_sync,
)

NEW_CONTACTS = (
    "async () => (await window.kaari.engine().query('contact')).filter((c) => c.pending).map((c) => c.id)"
)


def open_counsellor_screen(page: Page) -> None:
    page.goto("/")
    sign_in(page, "ohjaaja")
    wait_for_service_worker(page)
    wait_for_sync(page, timeout=60)
    page.get_by_role("link", name="Palveluohjaus").click()
    expect(page.get_by_role("heading", name="Palveluohjaus", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Uusi yhteydenotto")).to_be_visible()


def stored_contacts(server: LiveServer, contact_id: str) -> list[tuple]:
    return server.query(
        "SELECT channel, caller_type, contact_type, resolution, client_id FROM contacts WHERE id = ?",
        (uuid.UUID(contact_id).hex,),
    )


def test_anonymous_contact_recorded_offline_arrives_exactly_once(
    context: BrowserContext, page: Page, live_server: LiveServer, screenshot
) -> None:
    open_counsellor_screen(page)
    screenshot(page, "ohjaaja-start")
    context.set_offline(True)

    form = page.locator("kaari-contact-form")
    expect(
        form.get_by_role("radio", name="Puhelin")
    ).to_be_checked()  # the defaults: phone, client, to service
    form.get_by_role("radio", name="Omainen tai läheinen").check()
    form.get_by_role("checkbox", name="Muistiasiat").check()
    form.get_by_role("checkbox", name="Kotihoito").check()
    form.get_by_role("button", name="Tallenna yhteydenotto").click()
    expect(form.get_by_test_id("contact-errors")).to_contain_text("Valitse lopputulos.")  # nothing saved yet
    assert page.evaluate(NEW_CONTACTS) == []
    form.get_by_role("radio", name="Neuvonta annettu").check()
    form.get_by_role("button", name="Tallenna yhteydenotto").click()
    expect(form.get_by_test_id("contact-saved")).to_contain_text("tallennettu tälle laitteelle")
    expect(
        form.get_by_role("checkbox", name="Muistiasiat")
    ).not_to_be_checked()  # a fresh form for the next call

    today = page.get_by_test_id("today-contacts")
    expect(today).to_contain_text("Anonyymi")
    expect(today).to_contain_text("Ei vielä lähetetty")
    expect(page.get_by_test_id("sync-status")).to_contain_text("ei vielä lähetetty (1)")
    (contact_id,) = page.evaluate(NEW_CONTACTS)
    screenshot(page, "ohjaaja", readme=True)

    page.reload()  # still offline: the contact is on the device, marked unsent
    expect(page.get_by_test_id("today-contacts")).to_contain_text("Ei vielä lähetetty")
    assert stored_contacts(live_server, contact_id) == []

    context.set_offline(False)
    expect(page.get_by_test_id("sync-status")).to_contain_text("Kaikki lähetetty", timeout=30_000)
    expect(page.get_by_test_id("today-contacts")).not_to_contain_text("Ei vielä lähetetty")
    assert stored_contacts(live_server, contact_id) == [
        ("phone", "relative", "to_service", "advice_given", None)
    ]
    page.evaluate("() => window.kaari.engine().syncNow()")
    page.reload()
    wait_for_sync(page)
    assert len(stored_contacts(live_server, contact_id)) == 1
    contact = next(c for c in engine_query(page, "contact") if c["id"] == contact_id)
    assert not contact["pending"] and contact["data"]["topics"] == ["memory_issues", "home_care"]


def test_contact_with_a_new_client_and_a_guidance_event_in_swedish(
    context: BrowserContext, page: Page, live_server: LiveServer, screenshot
) -> None:
    open_counsellor_screen(page)
    page.get_by_role("button", name="Svenska").click()
    expect(page.get_by_role("heading", name="Ny kontakt")).to_be_visible()
    context.set_offline(True)

    form = page.locator("kaari-contact-form")
    form.get_by_role("checkbox", name="Hemvård").check()
    form.get_by_role("radio", name="Återuppringning överenskommen").check()
    form.get_by_role("radio", name="Ny klient").check()
    form.get_by_label("Förnamn").fill("Testi")
    form.get_by_label("Efternamn").fill("Asiakas")
    form.get_by_label("Hemkommun").select_option(label="Uleåborg")
    form.get_by_role("button", name="Spara kontakten").click()
    expect(form.get_by_test_id("contact-saved")).to_be_visible()
    expect(page.get_by_test_id("today-contacts")).to_contain_text("Testi Asiakas")

    events = page.locator("kaari-events")
    events.get_by_role("button", name="Nytt evenemang").click()
    events.get_by_label("Typ").select_option(index=1)
    title = f"Muistikahvila {uuid.uuid4().hex[:6]}"  # the demo has events of that name too
    events.get_by_label("Namn").fill(title)
    events.get_by_label("Deltagare").fill("14")
    events.get_by_role("button", name="Spara evenemanget").click()
    expect(events.get_by_test_id("events")).to_contain_text(title)
    screenshot(page, "ohjaaja-sv")

    context.set_offline(False)
    expect(page.get_by_test_id("sync-status")).to_contain_text("Allt skickat", timeout=30_000)
    rows = live_server.query("SELECT id FROM clients WHERE first_name = 'Testi' AND last_name = 'Asiakas'")
    assert len(rows) == 1
    linked = live_server.query("SELECT count(*) FROM contacts WHERE client_id = ?", (rows[0][0],))
    assert linked == [(1,)]
    assert live_server.query("SELECT participant_count FROM events WHERE title = ?", (title,)) == [(14,)]
    # The client's name was shown from the replica: the view is in the access log.
    views = live_server.query(
        "SELECT count(*) FROM access_log WHERE client_id = ? AND operation = 'view_offline'", (rows[0][0],)
    )
    assert eventually(
        lambda: (
            live_server.query(
                "SELECT count(*) FROM access_log WHERE client_id = ? AND operation = 'view_offline'",
                (rows[0][0],),
            )[0][0]
            >= 1
        ),
        timeout=20,
    ), views


def test_rejected_write_waits_in_needs_attention_until_fixed(
    page: Page, live_server: LiveServer, screenshot
) -> None:
    open_counsellor_screen(page)
    area = next(a["id"] for a in engine_query(page, "area") if a["data"]["code"] == "oulu")
    contact_id = str(uuid.uuid4())
    args = {
        "contact_id": contact_id,
        "occurred_at": "2099-01-01T10:00:00+02:00",  # in the future: the server rejects it
        "channel": "phone",
        "caller_type": "client",
        "contact_type": "to_service",
        "topics": ["meals"],
        "resolution": "advice_given",
        "area_id": area,
    }
    page.evaluate(MUTATE, ["contact.record", args])
    link = page.get_by_test_id("attention-link")
    expect(link).to_have_text("Vaatii huomiota (1)", timeout=30_000)
    link.click()
    item = page.get_by_test_id("attention-item")
    expect(item).to_contain_text("Yhteydenotto")
    expect(item).to_contain_text("A contact cannot happen in the future.")
    expect(item).to_contain_text("invalid_date")
    expect(item).to_contain_text("Ateriapalvelu")  # codes shown by their names
    screenshot(page, "attention", readme=True)

    item.get_by_role("button", name="Korjaa ja lähetä uudelleen").click()
    item.get_by_label("Aika").fill("2026-01-05T10:00:00+02:00")
    item.get_by_role("button", name="Lähetä uudelleen").click()
    expect(page.get_by_test_id("attention-empty")).to_be_visible()
    expect(page.get_by_test_id("sync-status")).to_contain_text("Kaikki lähetetty", timeout=30_000)
    assert len(stored_contacts(live_server, contact_id)) == 1
    token = live_server.sign_in("ohjaaja")["access_token"]
    stored = httpx.get(
        f"{live_server.url}/api/contacts/{contact_id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).json()
    assert stored["occurred_at"].startswith("2026-01-05T")


def test_manual_conflict_is_decided_side_by_side(page: Page, live_server: LiveServer) -> None:
    open_counsellor_screen(page)
    client = next(c for c in engine_query(page, "client") if c["data"]["birth_date"] and c["scopes"])
    revision = client["data"]["revision"]
    # The counsellor's other device changes the birth date (a `manual` field) from the same revision ...
    elsewhere = {"client_id": client["id"], "changes": {"birth_date": "1940-01-01"}}
    pushed = live_server.push_from_another_device("ohjaaja", "client.update", elsewhere, revision)
    assert pushed["status"] == "applied"
    # ... so this one, still showing the old record, conflicts (its own earlier changes would not).
    update = "async ([args, base]) => { await window.kaari.engine().mutate('client.update', args, { baseVersion: base }); }"
    page.evaluate(update, [{"client_id": client["id"], "changes": {"birth_date": "1941-02-02"}}, revision])
    link = page.get_by_test_id("attention-link")
    expect(link).to_have_text("Vaatii huomiota (1)", timeout=30_000)
    link.click()
    item = page.get_by_test_id("attention-item")
    expect(item).to_contain_text("ristiriita")
    sides = item.get_by_test_id("conflict-sides")
    expect(item).to_contain_text("Kenttää ”Syntymäaika” on muutettu")
    expect(sides).to_contain_text(re.compile(r"Nykyinen arvo\s+1940-01-01"))
    expect(sides).to_contain_text(re.compile(r"Ehdotettu arvo\s+1941-02-02"))
    item.get_by_role("button", name="Valitse ehdotettu").click()  # a counsellor of the area may decide
    expect(page.get_by_test_id("attention-empty")).to_be_visible()
    expect(page.get_by_test_id("sync-status")).to_contain_text("Kaikki lähetetty", timeout=30_000)
    stored = live_server.query("SELECT birth_date FROM clients WHERE id = ?", (uuid.UUID(client["id"]).hex,))
    assert stored == [("1941-02-02",)]
    assert live_server.query(
        "SELECT status, resolution FROM conflicts WHERE record_id = ?", (client["id"],)
    ) == [("resolved", "proposed")]


def test_full_storage_is_said_plainly_and_nothing_is_lost(page: Page) -> None:
    open_counsellor_screen(page)
    # The browser's quota for this site is used up: IndexedDB refuses every new write.
    page.evaluate(
        """() => {
          IDBObjectStore.prototype.add = function () { throw new DOMException('quota', 'QuotaExceededError'); };
        }"""
    )
    form = page.locator("kaari-contact-form")
    form.get_by_role("checkbox", name="Kotihoito").check()
    form.get_by_role("radio", name="Neuvonta annettu").check()
    form.get_by_role("button", name="Tallenna yhteydenotto").click()
    expect(form.get_by_test_id("contact-errors")).to_contain_text("tallennustila on täynnä")
    expect(page.get_by_test_id("sync-status")).to_contain_text("tallennustila on täynnä")
    expect(form.get_by_role("checkbox", name="Kotihoito")).to_be_checked()  # the form keeps what was typed
