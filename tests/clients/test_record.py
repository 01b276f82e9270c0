"""The client record's parts (close persons, consents, service relationships), the 360 view, its access
log entries, and who may open it: an authorisation matrix over bases (area, unit, responsible counsellor,
consent) on both backends."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from server.access_log.models import AccessLogEntry
from server.clients.models import ClosePerson, Consent
from server.clock import today_in_finland
from tests.assessments.helpers import add_users, new_client, open_assessment
from tests.conftest import bearer, sign_in
from tests.sync.domain_helpers import DAY_CLIENT, DAY_UNIT, OULU, fresh, push_one, replica, user_id


async def _timeline(client, username: str, client_id: str):
    session = await sign_in(client, username)
    return await client.get(f"/api/clients/{client_id}/timeline", headers=bearer(session["access_token"]))


async def test_close_persons_consents_and_services(client, db, demo):
    await add_users(db, demo)
    laptop = await replica(client, "ohjaaja")
    client_id = await new_client(
        laptop, languages=["fi", "sv"], service_language="sv", email="aili@example.fi"
    )
    person = {
        "close_person_id": str(uuid.uuid4()),
        "client_id": client_id,
        "name": "Matti Korhonen",
        "relation": "child",
        "phone": "040 111 2222",
        "primary_contact": True,
    }
    assert await push_one(laptop, "client.add_close_person", person) is None
    assert await push_one(laptop, "client.add_close_person", person) is None  # replay
    assert (
        await push_one(laptop, "client.add_close_person", {**person, "name": "Other"})
    ).code == "duplicate"
    change = {"close_person_id": person["close_person_id"], "changes": {"phone": "050 333"}}
    assert await push_one(laptop, "client.update_close_person", change) is None
    today = today_in_finland().isoformat()
    consent = {
        "consent_id": str(uuid.uuid4()),
        "client_id": client_id,
        "purpose": "disclose_to_close_persons",
        "given_on": today,
        "given_by": "trustee",
    }
    assert (await push_one(laptop, "consent.give", consent)).code == "invalid_args"  # representative unnamed
    consent["given_by_name"] = "Edunvalvoja Esa"
    assert await push_one(laptop, "consent.give", consent) is None
    assert await push_one(laptop, "consent.withdraw", {"consent_id": consent["consent_id"]}) is None
    service = {
        "service_id": str(uuid.uuid4()),
        "client_id": client_id,
        "kind": "service",
        "service": "meals",
        "since": today,
    }
    assert await push_one(laptop, "client.add_service", service) is None
    # Outside the area: no basis to change the record.
    other = await replica(client, "ohjaaja_k")
    outcome = await push_one(
        other, "client.add_close_person", {**person, "close_person_id": str(uuid.uuid4())}
    )
    assert outcome.code == "forbidden"

    await laptop.pull()
    assert laptop.view.get("close_person", person["close_person_id"]).data["phone"] == "050 333"
    assert laptop.view.get("consent", consent["consent_id"]).data["withdrawn_on"] == today
    assert laptop.view.get("client", client_id).data["languages"] == ["fi", "sv"]
    db = await fresh(db)
    row = await db.get(ClosePerson, uuid.UUID(person["close_person_id"]))
    assert row.relation == "child" and row.primary_contact
    assert (await db.get(Consent, uuid.UUID(consent["consent_id"]))).given_by_name == "Edunvalvoja Esa"
    me = await sign_in(client, "ohjaaja")
    record = (await client.get(f"/api/clients/{client_id}", headers=bearer(me["access_token"]))).json()
    assert record["service_language"] == "sv" and [p["name"] for p in record["close_persons"]] == [
        "Matti Korhonen"
    ]
    assert [s["service"] for s in record["services"]] == ["meals"]
    ops = (await db.execute(select(AccessLogEntry.record_type, AccessLogEntry.operation))).all()
    assert ("close_person", "create") in ops and ("consent", "update") in ops


async def test_timeline_content_and_access_log(client, db, demo):
    laptop = await replica(client, "ohjaaja")
    client_id = await new_client(laptop)
    assessment_id = await open_assessment(laptop, client_id, contacted=3)
    today = today_in_finland().isoformat()
    await push_one(laptop, "assessment.start", {"assessment_id": assessment_id, "started_on": today})
    application_id = str(uuid.uuid4())
    await push_one(
        laptop,
        "application.receive",
        {
            "application_id": application_id,
            "client_id": client_id,
            "service": "home_care",
            "received_on": today,
        },
    )
    referral_id = str(uuid.uuid4())
    await push_one(
        laptop,
        "referral.create",
        {
            "referral_id": referral_id,
            "client_id": client_id,
            "service_kind": "short_term_care",
            "area_id": OULU,
            "urgency": "normal",
            "received_at": f"{today}T09:00:00+02:00",
            "source": "counsellor",
        },
    )
    contact_id = str(uuid.uuid4())
    from tests.sync.domain_helpers import contact_args

    assert (
        await push_one(laptop, "contact.record", contact_args(contact_id=contact_id, client_id=client_id))
        is None
    )
    db = await fresh(db)
    await db.rollback()
    response = await _timeline(client, "ohjaaja", client_id)
    assert response.status_code == 200, response.text
    body = response.json()
    kinds = {(i["kind"], i["record_id"]) for i in body["items"]}
    assert ("assessment", assessment_id) in kinds and ("application", application_id) in kinds
    assert ("referral", referral_id) in kinds and ("contact", contact_id) in kinds
    assert any(k == "queue_entry" for k, _ in kinds)
    assert sum(1 for k, _ in kinds if k == "assessment_step") == 2
    ons = [i["on"] for i in body["items"]]
    assert ons == sorted(ons, reverse=True)
    assert body["basis"] == f"guidance:area:{OULU}" and body["withheld"] == [
        "stay",
        "residency",
        "attendance",
    ]
    db = await fresh(db)
    entry = (
        await db.execute(select(AccessLogEntry).where(AccessLogEntry.record_type == "client_timeline"))
    ).scalar_one()
    assert (entry.operation, entry.basis, str(entry.client_id), entry.username) == (
        "read",
        f"guidance:area:{OULU}",
        client_id,
        "ohjaaja",
    )


async def test_authorisation_matrix_of_the_360_view(client, db, demo):
    """| reader | basis | Oulu client (guidance) | day-unit client |
    ohjaaja (Oulu) — area; ohjaaja_k (Koillismaa) — none, then consent, then responsible counsellor;
    paiva (unit staff) — their unit only; kotas, admin — never."""
    await add_users(db, demo)
    laptop = await replica(client, "ohjaaja")
    client_id = await new_client(laptop)
    cases = [
        ("ohjaaja", client_id, 200),
        ("ohjaaja_k", client_id, 403),
        ("paiva", client_id, 403),
        ("kotas", client_id, 403),
        ("admin", client_id, 403),
        ("paiva", DAY_CLIENT, 200),
        ("hoiva", DAY_CLIENT, 403),
        ("ohjaaja_k", DAY_CLIENT, 403),
    ]
    for username, target, status in cases:
        response = await _timeline(client, username, target)
        assert response.status_code == status, (username, target, response.text)
    unit_view = (await _timeline(client, "paiva", DAY_CLIENT)).json()
    assert (
        unit_view["basis"] == f"service_relationship:unit:{DAY_UNIT}" and "contact" in unit_view["withheld"]
    )

    db = await fresh(db)
    entries = (
        (
            await db.execute(
                select(AccessLogEntry)
                .where(AccessLogEntry.record_type == "client_timeline")
                .order_by(AccessLogEntry.id)
            )
        )
        .scalars()
        .all()
    )
    assert [(e.username, e.operation) for e in entries] == [
        (u, "read" if s == 200 else "read_refused") for u, _, s in cases
    ] + [("paiva", "read")]
    await db.rollback()

    # A consent for a cross-service summary: any counsellor may open it, and every section shows.
    today = today_in_finland().isoformat()
    consent_id = str(uuid.uuid4())
    consent = {
        "consent_id": consent_id,
        "client_id": client_id,
        "purpose": "cross_service_summary",
        "given_on": today,
    }
    assert await push_one(laptop, "consent.give", consent) is None
    body = (await _timeline(client, "ohjaaja_k", client_id)).json()
    assert body["basis"] == f"consent:{consent_id}" and body["withheld"] == []
    assert (await _timeline(client, "paiva", client_id)).status_code == 403  # unit staff need their unit
    assert await push_one(laptop, "consent.withdraw", {"consent_id": consent_id}) is None
    assert (await _timeline(client, "ohjaaja_k", client_id)).status_code == 403  # withdrawn today
    # Named responsible counsellor: a basis wherever they work.
    service = {
        "service_id": str(uuid.uuid4()),
        "client_id": client_id,
        "kind": "counsellor",
        "counsellor_id": str(user_id("ohjaaja_k")),
        "since": today,
    }
    assert await push_one(laptop, "client.add_service", service) is None
    body = (await _timeline(client, "ohjaaja_k", client_id)).json()
    assert body["basis"] == f"service_relationship:counsellor:{service['service_id']}"
    assert (
        await client.get(
            f"/api/clients/{client_id}", headers=bearer((await sign_in(client, "ohjaaja_k"))["access_token"])
        )
    ).status_code == 200
    # ...and their devices get the client in their own scope.
    phone = await replica(client, "ohjaaja_k")
    await phone.pull()
    assert phone.view.get("client", client_id) is not None
