"""The guidance screen (/ohjaus) against the real server. As the demo counsellor Outi (area Oulu; not Olli,
whose devices the admin test counts): a client record opened (the 360 view's opening logged with its
basis; offline the view is not shown and the opening reaches the log through the outbox), the person's
details and a close person's changed offline, a service relationship added and ended, a service-needs
assessment opened from a contact on /ohjaaja, started, refused a decision without a locked RAI, given a
locked full RAI and decided (the referral and queue entry show), an application recorded, taken and
decided. As the region's supervisor: every area's overdue processes and the applications per handler."""

from __future__ import annotations

import uuid
from collections import Counter

from playwright.sync_api import BrowserContext, Page, expect

from server.demo import demo_id
from tests.browser.conftest import (
    MUTATE,
    LiveServer,
    engine_query,
    eventually,
    sign_in,
    wait_for_service_worker,
    wait_for_sync,
)

LOGGED = "SELECT operation, basis FROM access_log WHERE record_type = ? AND client_id = ?"
UPDATE = "async ([args, base]) => { await window.kaari.engine().mutate('client.update', args, { baseVersion: base }); }"
UNSENT = """async (name) => (await window.kaari.engine().unsent())
  .filter((m) => m.name === name).map(({ args, base_version }) => ({ args, base_version }))"""


def hex_id(value: str) -> str:
    return uuid.UUID(value).hex


def full_name(client: dict) -> str:
    return f"{client['data']['first_name']} {client['data']['last_name']}"


def open_record(page: Page, name: str) -> None:
    page.get_by_role("tab", name="Asiakas").click()
    page.get_by_label("Asiakkaan nimi").fill(name)
    page.get_by_test_id("client-results").get_by_role("button", name=name).click()
    expect(page.get_by_role("heading", name=name, level=2)).to_be_visible()


def test_counsellor_runs_a_client_through_guidance(
    context: BrowserContext, page: Page, live_server: LiveServer, screenshot
) -> None:
    page.goto("/")
    sign_in(page, "ohjaaja2")
    wait_for_service_worker(page)
    wait_for_sync(page)
    clients = sorted(engine_query(page, "client"), key=lambda c: c["id"])
    named = Counter(full_name(c) for c in clients)
    first, second = [c for c in clients if named[full_name(c)] == 1][:2]  # names the search finds once
    name = full_name(first)
    page.get_by_role("link", name="Asiakkaat, arvioinnit ja hakemukset").click()

    # The record and its 360 timeline; the server logs the opening with its basis.
    open_record(page, name)
    record = page.get_by_test_id("client-record")
    expect(record.get_by_test_id("client-identity")).to_be_visible()
    expect(record.get_by_test_id("summary-consent")).to_be_visible()
    expect(page.get_by_test_id("timeline-basis")).to_contain_text("ohjaus, alue")
    [(operation, basis)] = live_server.query(LOGGED, ("client_timeline", hex_id(first["id"])))
    assert operation == "read" and basis.startswith("guidance:area:")
    expect(page.get_by_test_id("timeline-basis")).to_have_attribute("data-basis", basis)  # shown in words
    screenshot(page, "ohjaus-client", readme=True)

    expect(record.get_by_role("link", name="Avaa palvelutarpeen arviointi")).to_be_visible()

    # The person's own details, changed offline. The form catches plain mistakes before anything is sent;
    # the change carries the record's revision as base version and reaches the server (logged) online.
    client_hex = hex_id(first["id"])
    details = record.get_by_test_id("edit-details")
    details.get_by_text("Muokkaa henkilötietoja").click()
    context.set_offline(True)
    details.get_by_label("Sukunimi").fill("")
    details.get_by_label("Syntymäaika").fill("2999-01-01")
    details.get_by_role("button", name="Tallenna henkilötiedot").click()
    expect(details.get_by_text("Kirjoita sukunimi.")).to_be_visible()
    expect(details.get_by_text("Syntymäaika ei voi olla tulevaisuudessa.")).to_be_visible()
    expect(details.get_by_label("Sukunimi")).to_be_focused()
    details.get_by_label("Sukunimi").fill(first["data"]["last_name"])
    details.get_by_label("Syntymäaika").fill(first["data"]["birth_date"] or "")
    details.get_by_label("Puhelin").fill("040 765 4321")
    details.get_by_label("Osoite").fill("Isokatu 1, Oulu")
    details.get_by_role("button", name="Tallenna henkilötiedot").click()
    expect(record.get_by_test_id("client-identity")).to_contain_text("040 765 4321")
    # The birth date (a `manual` field) corrected twice, still offline: both changes carry the revision
    # seen, and the second is no conflict, since the only change after that revision is this device's own.
    for birth_date in ("1930-02-03", "1930-02-04"):
        details.get_by_text("Muokkaa henkilötietoja").click()
        details.get_by_label("Syntymäaika").fill(birth_date)
        details.get_by_role("button", name="Tallenna henkilötiedot").click()
        expect(record.get_by_test_id("client-identity")).to_contain_text(birth_date)
    queued = page.evaluate(UNSENT, "client.update")
    assert [q["base_version"] for q in queued] == [first["data"]["revision"]] * 3
    assert [q["args"]["changes"] for q in queued] == [
        {"phone": "040 765 4321", "address": "Isokatu 1, Oulu"},
        {"birth_date": "1930-02-03"},
        {"birth_date": "1930-02-04"},
    ]

    # A close person's details changed, offline too: the form refuses what the server would (an e-mail
    # without @, a note over 500 characters), and only the changed fields are sent.
    person = next(p for p in engine_query(page, "close_person") if p["data"]["client_id"] == first["id"])
    relation = "friend" if person["data"]["relation"] != "friend" else "neighbour"
    close_persons = record.get_by_test_id("close-persons")
    close_persons.get_by_role("button", name=f"Muokkaa läheisen {person['data']['name']} tietoja").click()
    person_form = record.get_by_test_id("close-person-form")
    expect(person_form.get_by_label("Nimi")).to_be_focused()
    for field, longest in (
        ("Nimi", 200),
        ("Puhelin", 40),
        ("Sähköposti", 200),
        ("Osoite", 200),
        ("Lisätietoja", 500),
    ):
        expect(person_form.get_by_label(field)).to_have_attribute("maxlength", str(longest))
    person_form.get_by_label("Suhde").select_option(relation)
    person_form.get_by_label("Puhelin").fill("044 123 4567")
    person_form.get_by_label("Sähköposti").fill("liisa.example.fi")
    person_form.get_by_role("button", name="Tallenna läheisen tiedot").click()
    expect(record.get_by_role("alert")).to_contain_text("Sähköpostiosoite on muotoa nimi@esimerkki.fi.")
    expect(person_form.get_by_label("Sähköposti")).to_be_focused()
    person_form.get_by_label("Sähköposti").fill("liisa@example.fi")
    # maxlength stops typing; a longer value put there otherwise (a script, an extension) is refused too.
    person_form.get_by_label("Lisätietoja").evaluate("(note) => { note.value = 'x'.repeat(501); }")
    person_form.get_by_role("button", name="Tallenna läheisen tiedot").click()
    expect(record.get_by_role("alert")).to_contain_text("Kentässä Lisätietoja voi olla enintään 500 merkkiä.")
    assert page.evaluate(UNSENT, "client.update_close_person") == []
    person_form.get_by_label("Osoite").fill("Rantakatu 5 B 12, 90100 Oulu")
    person_form.get_by_label("Lisätietoja").fill("Soita iltaisin.\nAvain naapurilla.")
    person_form.get_by_role("button", name="Tallenna läheisen tiedot").click()
    card = close_persons.locator(f'[data-testid="close-person"][data-person="{person["id"]}"]')
    expect(card).to_contain_text("044 123 4567")
    expect(card.get_by_test_id("close-person-email")).to_have_text("liisa@example.fi")
    expect(card.get_by_test_id("close-person-address")).to_have_text("Rantakatu 5 B 12, 90100 Oulu")
    expect(card.get_by_test_id("close-person-note")).to_have_text("Soita iltaisin.\nAvain naapurilla.")
    [person_change] = page.evaluate(UNSENT, "client.update_close_person")
    assert person_change["args"] == {
        "close_person_id": person["id"],
        "changes": {
            "relation": relation,
            "phone": "044 123 4567",
            "email": "liisa@example.fi",
            "address": "Rantakatu 5 B 12, 90100 Oulu",
            "note": "Soita iltaisin.\nAvain naapurilla.",
        },
    }
    # Emptying a field sends it as null; the others are not sent again.
    card.get_by_role("button", name=f"Muokkaa läheisen {person['data']['name']} tietoja").click()
    person_form.get_by_label("Osoite").fill("")
    person_form.get_by_role("button", name="Tallenna läheisen tiedot").click()
    expect(card.get_by_test_id("close-person-address")).to_have_count(0)
    assert page.evaluate(UNSENT, "client.update_close_person")[1]["args"]["changes"] == {"address": None}

    # A new close person with every field, offline as well.
    record.get_by_text("Lisää läheinen").click()
    add_form = record.get_by_test_id("add-close-person")
    add_form.get_by_label("Nimi").fill("Veikko Läheinen")
    add_form.get_by_label("Suhde").select_option("sibling")
    add_form.get_by_label("Sähköposti").fill("veikko@example.fi")
    add_form.get_by_label("Osoite").fill("Kauppurienkatu 1, Oulu")
    add_form.get_by_label("Lisätietoja").fill("Hoitaa raha-asiat.")
    add_form.get_by_role("button", name="Lisää", exact=True).click()
    added = close_persons.get_by_test_id("close-person").filter(has_text="Veikko Läheinen")
    expect(added.get_by_test_id("close-person-email")).to_have_text("veikko@example.fi")
    [new_person] = page.evaluate(UNSENT, "client.add_close_person")
    new_id = new_person["args"].pop("close_person_id")
    assert new_person["args"] == {
        "client_id": first["id"],
        "name": "Veikko Läheinen",
        "relation": "sibling",
        "email": "veikko@example.fi",
        "address": "Kauppurienkatu 1, Oulu",
        "note": "Hoitaa raha-asiat.",
    }
    context.set_offline(False)
    stored_details = "SELECT phone, address, birth_date FROM clients WHERE id = ?"
    eventually(
        lambda: (
            live_server.query(stored_details, (client_hex,))
            == [("040 765 4321", "Isokatu 1, Oulu", "1930-02-04")]
        ),
        timeout=30,
    )
    assert live_server.query("SELECT id FROM conflicts WHERE record_id = ?", (first["id"],)) == []
    assert "update" in {op for op, _ in live_server.query(LOGGED, ("client", client_hex))}
    stored_person = "SELECT relation, phone, name, email, address, note FROM close_persons WHERE id = ?"
    eventually(
        lambda: (
            live_server.query(stored_person, (hex_id(person["id"]),))
            == [
                (
                    relation,
                    "044 123 4567",
                    person["data"]["name"],
                    "liisa@example.fi",
                    None,
                    "Soita iltaisin.\nAvain naapurilla.",
                )
            ]
        ),
        timeout=30,
    )
    stored_added = (
        "sibling",
        None,
        "Veikko Läheinen",
        "veikko@example.fi",
        "Kauppurienkatu 1, Oulu",
        "Hoitaa raha-asiat.",
    )
    eventually(lambda: live_server.query(stored_person, (hex_id(new_id),)) == [stored_added], timeout=30)
    assert "update" in {op for op, _ in live_server.query(LOGGED, ("close_person", client_hex))}

    # A service relationship added and ended (a service the demo never records, so the row is ours).
    record.get_by_text("Lisää palvelusuhde").click()
    service_form = record.get_by_test_id("service-form")
    service_form.get_by_label("Palvelu", exact=True).select_option(label="Henkilökohtainen apu")
    service_form.get_by_role("button", name="Tallenna palvelusuhde").click()
    record.get_by_role("button", name="Päätä palvelusuhde: Henkilökohtainen apu").click()
    record.get_by_role("button", name="Tallenna päättyminen").click()
    today = page.evaluate("() => new Date().toLocaleDateString('sv')")
    expect(record.get_by_test_id("client-service").filter(has_text="Henkilökohtainen apu")).to_contain_text(
        f"alkaen {today} \N{EN DASH} {today}"
    )
    stored_service = "SELECT since, until FROM client_services WHERE client_id = ? AND service = ?"
    eventually(
        lambda: live_server.query(stored_service, (client_hex, "personal_assistance")) == [(today, today)],
        timeout=30,
    )

    # What the server refuses (an e-mail address the form would not send) waits in Needs attention, where
    # the changed field is fixed and sent again.
    current = next(c for c in engine_query(page, "client") if c["id"] == first["id"])
    update = {"client_id": first["id"], "changes": {"email": "ei osoite"}}
    page.evaluate(UPDATE, [update, current["data"]["revision"]])
    page.get_by_test_id("attention-link").click()
    item = page.get_by_test_id("attention-item").filter(has_text="Asiakastietojen muutos")
    item.get_by_role("button", name="Korjaa ja lähetä uudelleen").click(timeout=30_000)
    item.get_by_label("Sähköposti").fill("veikko@example.fi")
    item.get_by_role("button", name="Lähetä uudelleen").click()
    stored_email = "SELECT email FROM clients WHERE id = ?"
    eventually(lambda: live_server.query(stored_email, (client_hex,)) == [("veikko@example.fi",)], timeout=30)

    # A contact about the client asks for an assessment (recorded as the contact form would): the process
    # is opened from it, started, and refused a decision without a locked full RAI.
    area = next(a["id"] for a in engine_query(page, "area") if a["data"]["code"] == "oulu")
    contact = {
        "contact_id": str(uuid.uuid4()),
        "occurred_at": page.evaluate("() => new Date().toISOString()"),
        "channel": "phone",
        "caller_type": "relative",
        "contact_type": "to_service",
        "topics": ["home_care"],
        "resolution": "referred_to_assessment",
        "area_id": area,
        "client_id": first["id"],
    }
    page.evaluate(MUTATE, ["contact.record", contact])
    page.goto("/ohjaaja")
    page.get_by_test_id("today-contacts").get_by_role(
        "link", name="Avaa palvelutarpeen arviointi"
    ).first.click()
    page.get_by_role("button", name="Avaa arviointi").click()
    detail = page.get_by_test_id("assessment-detail")
    expect(detail.get_by_test_id("assessment-status")).to_contain_text("Yhteydenotto, ei aloitettu")
    page.get_by_role("button", name="Merkitse aloitetuksi").click()
    expect(detail.get_by_test_id("assessment-status")).to_contain_text("Arviointi aloitettu")
    expect(detail.get_by_test_id("rai-gate")).to_be_visible()
    detail.get_by_label("Palvelu", exact=True).select_option(label="Päivätoiminta")
    detail.get_by_role("button", name="Tallenna päätös").click()
    refusal = detail.get_by_test_id("refusal")
    expect(refusal).to_contain_text("lukittu täysi RAI-arviointi puuttuu", timeout=30_000)
    expect(detail.get_by_test_id("assessment-status")).to_contain_text("Arviointi aloitettu")
    refusal.get_by_role("button", name="Kuittaa").click()
    expect(refusal).to_have_count(0)

    # The RAI result, locked; then the decision hands the client to the places side.
    detail.get_by_text("Kirjaa RAI-tulos").click()
    detail.get_by_label("MAPLe").fill("4")
    detail.get_by_label("CPS").fill("2")
    detail.get_by_label("ADL-H").fill("3")
    detail.get_by_role("button", name="Tallenna RAI-tulos").click()
    expect(detail.get_by_test_id("rai-results")).to_contain_text("Lukittu")
    expect(detail.get_by_test_id("rai-gate")).to_have_count(0)
    detail.get_by_label("Palvelu", exact=True).select_option(label="Päivätoiminta")
    detail.get_by_role("button", name="Tallenna päätös").click()
    expect(detail.get_by_test_id("decision")).to_contain_text("Myönnetty · Päivätoiminta")
    expect(detail.get_by_test_id("queue-entry")).to_contain_text("Jonossa", timeout=30_000)
    expect(detail.get_by_test_id("handover")).to_contain_text("Lähete: Päivätoiminta, tavallinen (avoin)")
    opened = "SELECT status FROM assessments WHERE contact_id = ?"
    assert live_server.query(opened, (hex_id(contact["contact_id"]),)) == [("decided",)]
    referral = live_server.query(
        "SELECT r.service_kind, r.maple, q.status FROM referrals r JOIN queue_entries q ON q.referral_id = r.id "
        "WHERE r.client_id = ?",
        (hex_id(first["id"]),),
    )
    assert ("day_activity", 4, "waiting") in referral
    screenshot(page, "ohjaus-assessment", readme=True)

    # An application recorded as received (nobody handles it yet), taken as handler and decided.
    page.get_by_role("tab", name="Hakemukset").click()
    page.get_by_text("Kirjaa saapunut hakemus").click()
    page.get_by_label("Hae asiakas").fill(name)
    page.get_by_label("Haettu palvelu").select_option(label="Omaishoidon tuki")
    page.get_by_label("Käsittelen itse").uncheck()
    page.get_by_role("button", name="Tallenna hakemus").click()
    application = page.get_by_test_id("application-detail")
    expect(application.get_by_test_id("application-status")).to_contain_text("Saapunut")
    expect(application.get_by_test_id("application-handler")).to_have_text("Ei käsittelijää")
    application.get_by_role("button", name="Ota käsittelyyn").click()
    expect(application.get_by_test_id("application-handler")).to_have_text("Outi Neuvonen")
    application.get_by_label("Päätös", exact=True).select_option(label="Myönnetty")
    application.get_by_role("button", name="Tallenna päätös").click()
    expect(application.get_by_test_id("application-status")).to_contain_text("Päätetty")
    stored = "SELECT status, decision, handler_id FROM applications WHERE client_id = ? AND service = ?"
    outi = demo_id("user", "ohjaaja2").hex
    eventually(
        lambda: (
            live_server.query(stored, (hex_id(first["id"]), "family_care_support"))
            == [("decided", "granted", outi)]
        ),
        timeout=30,
    )
    expect(page.get_by_test_id("per-handler")).to_contain_text("Outi Neuvonen")

    # Offline: the record is on the device, the timeline is not; the opening reaches the log via the outbox.
    context.set_offline(True)
    open_record(page, full_name(second))
    expect(page.get_by_test_id("timeline").get_by_test_id("offline-notice")).to_contain_text(
        "Ei verkkoyhteyttä"
    )
    context.set_offline(False)
    eventually(
        lambda: (
            [op for op, _ in live_server.query(LOGGED, ("ohjaus.client_record", hex_id(second["id"])))]
            == ["view_offline"]
        ),
        timeout=30,
    )

    # A resident of the area whom guidance has not met is on no device: found on the server (logged), read
    # online, and a contact recorded for them brings the client to the device.
    held = {c["id"] for c in engine_query(page, "client")}
    residents = live_server.query(
        "SELECT c.id, c.first_name, c.last_name FROM clients c JOIN municipalities m ON m.id = c.municipality_id "
        "JOIN areas a ON a.id = m.area_id WHERE a.code = 'oulu' ORDER BY c.id"
    )
    names = Counter(
        f"{f} {last}" for _, f, last in live_server.query("SELECT id, first_name, last_name FROM clients")
    )
    resident_hex, resident = next(
        (i, f"{f} {last}")
        for i, f, last in residents
        if str(uuid.UUID(i)) not in held and names[f"{f} {last}"] == 1
    )
    resident_id = str(uuid.UUID(resident_hex))
    page.get_by_label("Asiakkaan nimi").fill(resident)
    expect(page.get_by_test_id("client-results")).to_contain_text("Ei osumia")
    page.get_by_role("button", name="Hae palvelimelta").click()
    page.get_by_test_id("server-results").get_by_role("button", name=resident).click()
    expect(page.get_by_test_id("from-server")).to_be_visible()
    expect(page.get_by_test_id("timeline-basis")).to_contain_text("ohjaus, alue")
    assert {op for op, _ in live_server.query(LOGGED, ("client_search", resident_hex))} == {"read"}
    assert {op for op, _ in live_server.query(LOGGED, ("client", resident_hex))} == {"read"}
    page.get_by_role("link", name="Kirjaa yhteydenotto tälle asiakkaalle").click()
    form = page.locator("kaari-contact-form")
    expect(form.get_by_test_id("picked-client")).to_contain_text(resident)
    form.get_by_role("checkbox", name="Kotihoito").check()
    form.get_by_role("radio", name="Neuvonta annettu").check()
    form.get_by_role("button", name="Tallenna yhteydenotto").click()
    eventually(lambda: resident_id in {c["id"] for c in engine_query(page, "client")}, timeout=30)


def test_supervisor_follows_every_areas_processes_and_handlers(page: Page, live_server: LiveServer) -> None:
    """The region's supervisor sees every area's open processes with their deadlines and the applications
    per handler, counted from the records on the device as the server holds them."""
    page.goto("/")
    sign_in(page, "ohjaus-esihenkilo")
    wait_for_sync(page)
    page.goto("/ohjaus?tab=applications")
    kalle = demo_id("user", "ohjaaja-koillismaa").hex
    [(open_now,)] = live_server.query(
        "SELECT count(*) FROM applications WHERE handler_id = ? AND status IN ('received', 'in_process')",
        (kalle,),
    )
    row = page.get_by_test_id("handler-row").filter(has_text="Kalle Kuusela")
    expect(row.locator("td").nth(1)).to_have_text(str(open_now))
    handlers = live_server.query("SELECT count(DISTINCT handler_id) FROM applications")[0][0]
    expect(page.get_by_test_id("handler-row")).to_have_count(handlers + 1)  # and "no handler"
    expect(page.get_by_label("Käsittelen itse")).to_have_count(0)  # a supervisor handles none

    page.get_by_role("tab", name="Palvelutarpeen arvioinnit").click()
    [(overdue,)] = live_server.query(
        "SELECT count(*) FROM assessments WHERE status = 'contacted' AND deadline < ?",
        (page.evaluate("() => new Date().toLocaleDateString('sv')"),),  # the device's today, YYYY-MM-DD
    )
    expect(page.get_by_test_id("assessments").get_by_test_id("overdue")).to_have_count(overdue)
