"""The counsellors' supervisor (*ohjauksen esihenkilö*, role `supervisor`): sees the worklists and statistics of
every counsellor of their areas, hands processes over, holds their areas on their devices, and nothing of
other areas; never a handler or the responsible counsellor themself; every client shown is logged as theirs."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from server.access_log.models import AccessLogEntry
from server.applications.models import Application
from server.assessments.models import Assessment
from server.clock import today_in_finland
from tests.assessments.helpers import KOILLISMAA, add_users, new_client, open_assessment
from tests.conftest import bearer, sign_in
from tests.sync.domain_helpers import KUUSAMO, OULU, fresh, push_one, replica, user_id

OHJAAJA, OHJAAJA_2, SUPERVISOR = (str(user_id(u)) for u in ("ohjaaja", "ohjaaja_2", "esihenkilo_oulu"))


async def test_supervisor_sees_every_counsellors_worklist_of_the_area_and_hands_over(client, db, demo):
    await add_users(db, demo)
    olli = await replica(client, "ohjaaja")
    overdue = await open_assessment(olli, await new_client(olli), contacted=20)
    other = await replica(client, "ohjaaja_2")
    theirs = await open_assessment(other, await new_client(other), contacted=20)
    k = await replica(client, "ohjaaja_k")
    elsewhere = await open_assessment(k, await new_client(k, municipality_id=KUUSAMO), contacted=20)

    boss = await sign_in(client, "esihenkilo_oulu")
    body = (await client.get("/api/assessments/deadlines", headers=bearer(boss["access_token"]))).json()
    listed = {i["assessment_id"]: i for i in body["overdue"]}
    assert {overdue, theirs} <= set(listed) and elsewhere not in listed
    assert {i["area_id"] for i in body["overdue"] + body["due_soon"]} == {OULU}
    people = {c["counsellor_id"] for c in body["by_counsellor"]}
    assert {OHJAAJA, OHJAAJA_2} <= people
    refused = await client.get(
        f"/api/assessments/deadlines?area_id={KOILLISMAA}", headers=bearer(boss["access_token"])
    )
    assert refused.status_code == 403

    db = await fresh(db)
    logged = (
        (await db.execute(select(AccessLogEntry).where(AccessLogEntry.record_id.in_([overdue, theirs]))))
        .scalars()
        .all()
    )
    mine = [e for e in logged if e.user_id == uuid.UUID(SUPERVISOR)]
    assert {(e.record_id, e.role, e.basis) for e in mine} == {
        (overdue, "supervisor", f"guidance:area:{OULU}"),
        (theirs, "supervisor", f"guidance:area:{OULU}"),
    }
    await db.rollback()

    # On their device: the area's processes, not another area's.
    laptop = await replica(client, "esihenkilo_oulu")
    await laptop.pull()
    held = {r.id for r in laptop.view.records("assessment")}
    assert {overdue, theirs} <= held and elsewhere not in held

    # Hands Olli's process to the other counsellor; cannot take it themself, nor touch another area's.
    assert (
        await push_one(laptop, "assessment.assign", {"assessment_id": overdue, "counsellor_id": OHJAAJA_2})
        is None
    )
    to_self = await push_one(
        laptop, "assessment.assign", {"assessment_id": theirs, "counsellor_id": SUPERVISOR}
    )
    assert to_self.code == "unknown_entity"
    outside = await push_one(
        laptop, "assessment.assign", {"assessment_id": elsewhere, "counsellor_id": str(user_id("ohjaaja_k"))}
    )
    assert outside.code == "forbidden"
    db = await fresh(db)
    assert str((await db.get(Assessment, uuid.UUID(overdue))).counsellor_id) == OHJAAJA_2
    assert str((await db.get(Assessment, uuid.UUID(theirs))).counsellor_id) == OHJAAJA_2


async def test_supervisor_reads_the_areas_statistics_and_contacts_but_no_other_area(client, db, demo):
    await add_users(db, demo)
    boss = bearer((await sign_in(client, "esihenkilo_oulu"))["access_token"])
    # The last full month and this one: the demo county's guidance runs up to today, which may be the 1st.
    this_month = today_in_finland().replace(day=1)
    last_month = (this_month - timedelta(days=1)).strftime("%Y-%m")
    window = {"from": last_month, "to": this_month.strftime("%Y-%m")}
    for path in ("/api/guidance/statistics/contacts", "/api/assessments/statistics/on-time"):
        response = await client.get(path, params=window, headers=boss)
        assert response.status_code == 200, (path, response.text)
    rows = (await client.get("/api/guidance/statistics/contacts", params=window, headers=boss)).json()["rows"]
    assert {r["area_id"] for r in rows if r["level"] != "region"} <= {OULU}
    assert any(r["level"] == "counsellor" and r["counsellor_id"] == OHJAAJA for r in rows)
    assert (await client.get("/api/contacts", params={"area_id": OULU}, headers=boss)).status_code == 200
    refused = await client.get(
        "/api/guidance/statistics/contacts", params={**window, "area_id": str(KOILLISMAA)}, headers=boss
    )
    assert refused.status_code == 403
    refused = await client.get("/api/contacts", params={"area_id": str(KOILLISMAA)}, headers=boss)
    assert refused.status_code == 403


async def test_supervisor_deciding_an_unhandled_application_does_not_become_its_handler(client, db, demo):
    await add_users(db, demo)
    olli = await replica(client, "ohjaaja")
    application = {
        "application_id": str(uuid.uuid4()),
        "client_id": await new_client(olli),
        "service": "transport_service",
        "received_on": today_in_finland().isoformat(),
    }
    assert await push_one(olli, "application.receive", application) is None
    laptop = await replica(client, "esihenkilo_oulu")
    decision = {"decision": "granted", "decided_on": today_in_finland().isoformat()}
    assert (
        await push_one(
            laptop, "application.decide", {"application_id": application["application_id"], **decision}
        )
        is None
    )

    db = await fresh(db)
    row = await db.get(Application, uuid.UUID(application["application_id"]))
    assert (row.status, row.handler_id) == ("decided", None)
