"""The PTA process through mutations: deadlines computed by the server, the RAI gate, the hand-over to
the queue, steps with who moved them, replays arriving exactly once, and the worklist endpoint."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import func, select

from server.access_log.models import AccessLogEntry
from server.assessments.models import Assessment, AssessmentStep, RaiAssessment, referral_id_for
from server.calendar_fi import add_working_days
from server.clock import today_in_finland
from server.queue.models import QueueEntry, Referral, queue_entry_id
from tests.assessments.helpers import KOILLISMAA, add_users, days_ago, new_client, open_assessment, rai
from tests.conftest import bearer, sign_in
from tests.sync.domain_helpers import OULU, envelope, fresh, push_one, raw_push, replica, user_id


async def test_open_computes_rule_and_deadline(client, db):
    laptop = await replica(client, "ohjaaja")
    old = await new_client(laptop)
    young = await new_client(laptop, birth_date="1970-01-01")
    a1 = await open_assessment(laptop, old, contacted=3)
    a2 = await open_assessment(laptop, young, contacted=3)
    a3 = await open_assessment(laptop, young, contacted=1, urgent=True)
    db = await fresh(db)
    contact = today_in_finland() - timedelta(days=3)
    rows = {str(r.id): r for r in (await db.execute(select(Assessment))).scalars()}
    assert (rows[a1].rule, rows[a1].deadline) == ("age_75", add_working_days(contact, 7))
    assert (rows[a2].rule, rows[a2].deadline) == ("none", None)
    assert (rows[a3].rule, rows[a3].deadline) == ("urgent", today_in_finland() - timedelta(days=1))
    assert rows[a1].age_at_contact >= 75 and rows[a1].counsellor_id == user_id("ohjaaja")
    await laptop.pull()
    record = laptop.view.get("assessment", a1)
    assert record.data["deadline"] == rows[a1].deadline.isoformat() and f"area:{OULU}" in record.scopes


async def test_rai_gate_and_hand_over_to_the_queue(client, db):
    laptop = await replica(client, "ohjaaja")
    client_id = await new_client(laptop)
    assessment_id = await open_assessment(laptop, client_id, contacted=2)
    today = today_in_finland().isoformat()
    decide = {
        "assessment_id": assessment_id,
        "decision": "granted",
        "decided_on": today,
        "service_kind": "housing_24h",
    }
    # Not started yet: no decision.
    assert (await push_one(laptop, "assessment.decide", decide)).code == "invalid_state"
    assert (
        await push_one(laptop, "assessment.start", {"assessment_id": assessment_id, "started_on": today})
        is None
    )
    # No RAI, a screening, an unlocked full one: all refused.
    assert (await push_one(laptop, "assessment.decide", decide)).code == "rai_required"
    screening = rai(client_id, assessment_id, instrument="interRAI-CA", full=False, lock=True)
    assert await push_one(laptop, "rai.record", screening) is None
    assert (await push_one(laptop, "assessment.decide", decide)).code == "rai_required"
    draft = rai(client_id, assessment_id)
    assert await push_one(laptop, "rai.record", draft) is None
    assert (await push_one(laptop, "assessment.decide", decide)).code == "rai_required"
    # A draft may be recorded again; once locked it never changes.
    assert await push_one(laptop, "rai.record", {**draft, "maple": 5}) is None
    assert await push_one(laptop, "rai.lock", {"rai_id": draft["rai_id"]}) is None
    assert (await push_one(laptop, "rai.record", {**draft, "maple": 3})).code == "assessment_locked"
    # A non-regular decision needs no RAI; but this one is regular: now allowed.
    assert await push_one(laptop, "assessment.decide", decide) is None
    assert await push_one(laptop, "assessment.decide", decide) is None  # the same again: no-op
    assert (
        await push_one(laptop, "assessment.decide", {**decide, "decision": "refused"})
    ).code == "invalid_state"

    db = await fresh(db)
    row = await db.get(Assessment, uuid.UUID(assessment_id))
    assert row.status == "decided" and str(row.rai_id) == draft["rai_id"]
    locked = await db.get(RaiAssessment, uuid.UUID(draft["rai_id"]))
    assert locked.maple == 5 and locked.locked_at is not None
    referral = await db.get(Referral, referral_id_for(row.id))
    assert referral is not None and row.referral_id == referral.id
    assert (referral.service_kind, referral.maple, referral.cps, referral.adl_h) == ("housing_24h", 5, 3, 2)
    entry = await db.get(QueueEntry, queue_entry_id(referral.id))
    assert entry.status == "waiting" and str(entry.area_id) == OULU
    steps = (
        (
            await db.execute(
                select(AssessmentStep)
                .where(AssessmentStep.assessment_id == row.id)
                .order_by(AssessmentStep.at)
            )
        )
        .scalars()
        .all()
    )
    assert [(s.from_status, s.to_status) for s in steps] == [
        (None, "contacted"),
        ("contacted", "started"),
        ("started", "decided"),
    ]
    assert {s.by for s in steps} == {user_id("ohjaaja")}
    assert (
        await push_one(
            laptop, "assessment.start_service", {"assessment_id": assessment_id, "started_on": today}
        )
        is None
    )
    db = await fresh(db)
    assert (await db.get(Assessment, uuid.UUID(assessment_id))).status == "service_started"


async def test_non_regular_decision_needs_no_rai_and_refusals_need_the_area(client, db, demo):
    await add_users(db, demo)
    laptop = await replica(client, "ohjaaja")
    other = await replica(client, "ohjaaja_k")
    client_id = await new_client(laptop)
    assessment_id = await open_assessment(laptop, client_id, contacted=1)
    today = today_in_finland().isoformat()
    start = {"assessment_id": assessment_id, "started_on": today}
    assert (await push_one(other, "assessment.start", start)).code == "forbidden"
    outcome = await push_one(
        other,
        "assessment.open",
        {"assessment_id": str(uuid.uuid4()), "client_id": client_id, "contacted_at": days_ago(0)},
    )
    assert outcome.code == "forbidden"
    assert await push_one(laptop, "assessment.start", start) is None
    decide = {
        "assessment_id": assessment_id,
        "decision": "granted",
        "decided_on": today,
        "service_kind": "meals",
        "regular": False,
    }
    assert await push_one(laptop, "assessment.decide", decide) is None
    db = await fresh(db)
    row = await db.get(Assessment, uuid.UUID(assessment_id))
    assert row.decision == "granted" and row.referral_id is None  # meals are not queued


async def test_offline_batch_sent_twice_arrives_exactly_once(client, db):
    laptop = await replica(client, "ohjaaja")
    client_id = await new_client(laptop)
    assessment_id = str(uuid.uuid4())
    application_id = str(uuid.uuid4())
    today = today_in_finland().isoformat()
    # Recorded offline: the outbox holds four mutations, pushed together; the response is lost and the
    # same batch is sent again.
    batch = [
        envelope(
            2,
            "assessment.open",
            {"assessment_id": assessment_id, "client_id": client_id, "contacted_at": days_ago(1)},
        ),
        envelope(3, "assessment.start", {"assessment_id": assessment_id, "started_on": today}),
        envelope(
            4,
            "application.receive",
            {
                "application_id": application_id,
                "client_id": client_id,
                "service": "home_care",
                "received_on": today,
            },
        ),
        envelope(
            5,
            "consent.give",
            {
                "consent_id": str(uuid.uuid4()),
                "client_id": client_id,
                "purpose": "cross_service_summary",
                "given_on": today,
            },
        ),
    ]
    first = await raw_push(client, laptop, batch)
    again = await raw_push(client, laptop, batch)
    assert [r["status"] for r in first["results"]] == ["applied"] * 4
    assert again["results"] == first["results"]
    db = await fresh(db)
    ours = select(func.count()).select_from(Assessment).where(Assessment.id == uuid.UUID(assessment_id))
    assert (await db.execute(ours)).scalar() == 1
    steps = (
        await db.execute(
            select(func.count())
            .select_from(AssessmentStep)
            .where(AssessmentStep.assessment_id == uuid.UUID(assessment_id))
        )
    ).scalar()
    assert steps == 2
    logged = (
        await db.execute(
            select(func.count()).select_from(AccessLogEntry).where(AccessLogEntry.record_type == "assessment")
        )
    ).scalar()
    assert logged == 2


async def test_the_reference_client_outbox_arrives_once(client, db):
    laptop = await replica(client, "ohjaaja")
    client_id = await new_client(laptop)
    ids = []
    for n in range(5):
        assessment_id = str(uuid.uuid4())
        ids.append(assessment_id)
        await laptop.mutate(
            "assessment.open",
            {"assessment_id": assessment_id, "client_id": client_id, "contacted_at": days_ago(n)},
        )
    await laptop.push()
    await laptop.push()  # nothing left: nothing sent twice
    await laptop.pull()
    # The replica also holds the demo county's Oulu processes; these five arrived once each.
    assert set(ids) <= {r.id for r in laptop.view.records("assessment")}
    db = await fresh(db)
    ours = select(func.count()).select_from(Assessment).where(Assessment.id.in_([uuid.UUID(i) for i in ids]))
    assert (await db.execute(ours)).scalar() == 5


async def test_worklist_lists_overdue_and_due_soon_per_counsellor_and_logs(client, db, demo):
    await add_users(db, demo)
    me = await sign_in(client, "ohjaaja")
    # The demo county has overdue and due-soon processes of its own: these are counted on top of them.
    demo_counts = {
        (c["counsellor_id"], c["area_id"]): (c["overdue"], c["due_soon"])
        for c in (await client.get("/api/assessments/deadlines", headers=bearer(me["access_token"]))).json()[
            "by_counsellor"
        ]
    }
    laptop = await replica(client, "ohjaaja")
    c1 = await new_client(laptop)
    c2 = await new_client(laptop)
    c3 = await new_client(laptop, birth_date="1980-05-05")
    overdue = await open_assessment(laptop, c1, contacted=20)
    due_today = await open_assessment(laptop, c2, contacted=0, urgent=True)
    no_clock = await open_assessment(laptop, c3, contacted=20)  # under 75, not urgent: no statutory clock
    started = await open_assessment(laptop, c1, contacted=30)
    await push_one(
        laptop, "assessment.start", {"assessment_id": started, "started_on": today_in_finland().isoformat()}
    )
    db = await fresh(db)
    before = (await db.execute(select(func.count()).select_from(AccessLogEntry))).scalar()
    await db.rollback()

    mine = {overdue, due_today, no_clock, started}
    body = (await client.get("/api/assessments/deadlines", headers=bearer(me["access_token"]))).json()
    assert [i["assessment_id"] for i in body["overdue"] if i["assessment_id"] in mine] == [overdue]
    assert [i["assessment_id"] for i in body["due_soon"] if i["assessment_id"] in mine] == [due_today]
    ours = next(i for i in body["overdue"] if i["assessment_id"] == overdue)
    assert ours["days_overdue"] == (today_in_finland() - date.fromisoformat(ours["deadline"])).days
    key = (str(user_id("ohjaaja")), OULU)
    row = next(c for c in body["by_counsellor"] if (c["counsellor_id"], c["area_id"]) == key)
    earlier = demo_counts.get(key, (0, 0))
    assert row["counsellor_name"] == "Olli Ohjaaja"
    assert (row["overdue"], row["due_soon"]) == (earlier[0] + 1, earlier[1] + 1)
    db = await fresh(db)
    entries = (await db.execute(select(AccessLogEntry).where(AccessLogEntry.id > before))).scalars().all()
    assert sorted((str(e.client_id), e.basis) for e in entries if str(e.client_id) in (c1, c2, c3)) == sorted(
        [(c1, f"guidance:area:{OULU}"), (c2, f"guidance:area:{OULU}")]
    )
    listed = {i["client_id"] for i in body["overdue"] + body["due_soon"]}
    assert {str(e.client_id) for e in entries} == listed, "every listed client is logged, once"
    # A counsellor of another area sees none of them and cannot ask for Oulu.
    other = await sign_in(client, "ohjaaja_k")
    body = (await client.get("/api/assessments/deadlines", headers=bearer(other["access_token"]))).json()
    assert not {i["assessment_id"] for i in body["overdue"] + body["due_soon"]} & mine
    assert {i["area_id"] for i in body["overdue"] + body["due_soon"]} <= {str(KOILLISMAA)}
    refused = await client.get(
        f"/api/assessments/deadlines?area_id={OULU}", headers=bearer(other["access_token"])
    )
    assert refused.status_code == 403
    staff = await sign_in(client, "paiva")
    assert (
        await client.get("/api/assessments/deadlines", headers=bearer(staff["access_token"]))
    ).status_code == 403
