"""Applications (*hakemukset*) through the push path: the state machine, who may move them, where they sync,
and the counts per handler."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from server.access_log.models import AccessLogEntry
from server.applications.models import Application
from server.clock import today_in_finland
from tests.assessments.helpers import new_client
from tests.conftest import bearer, sign_in
from tests.sync.domain_helpers import envelope, fresh, push_one, raw_push, replica, user_id

OHJAAJA, OHJAAJA2, KOILLISMAA_COUNSELLOR = (
    str(user_id("ohjaaja")),
    str(user_id("ohjaaja2")),
    str(user_id("ohjaaja-koillismaa")),
)


def receive_args(client_id: str, **extra) -> dict:
    return {
        "application_id": str(uuid.uuid4()),
        "client_id": client_id,
        "service": "transport_service",
        "received_on": today_in_finland().isoformat(),
        **extra,
    }


async def test_receive_assign_decide_through_push_replayed_once(client, db):
    laptop = await replica(client, "ohjaaja")
    client_id = await new_client(laptop)
    args = receive_args(client_id)
    app_id = args["application_id"]
    today = today_in_finland().isoformat()
    batch = [
        envelope(2, "application.receive", args),
        envelope(3, "application.assign", {"application_id": app_id, "handler_id": OHJAAJA2}),
        envelope(
            4,
            "application.decide",
            {"application_id": app_id, "decision": "partly_granted", "decided_on": today},
        ),
    ]
    first = await raw_push(client, laptop, batch)
    again = await raw_push(client, laptop, batch)
    assert [r["status"] for r in first["results"]] == ["applied"] * 3
    assert again["results"] == first["results"]

    db = await fresh(db)
    row = await db.get(Application, uuid.UUID(app_id))
    assert (row.status, row.decision, str(row.handler_id)) == ("decided", "partly_granted", OHJAAJA2)
    logged = (
        (await db.execute(select(AccessLogEntry).where(AccessLogEntry.record_id == app_id))).scalars().all()
    )
    assert sorted(e.operation for e in logged) == ["create", "update", "update"]
    assert {str(e.client_id) for e in logged} == {client_id}

    await laptop.pull()
    record = laptop.view.get("application", app_id)
    assert record is not None
    assert (record.data["status"], record.data["handler_id"], record.data["decided_on"]) == (
        "decided",
        OHJAAJA2,
        today,
    )
    # The handler gets it in their own scope as well.
    handler = await replica(client, "ohjaaja2")
    await handler.pull()
    assert handler.view.get("application", app_id).data["status"] == "decided"


async def test_states_and_dates_are_checked(client, db):
    laptop = await replica(client, "ohjaaja")
    client_id = await new_client(laptop)
    today = today_in_finland()
    future = receive_args(client_id, received_on=(today + timedelta(days=1)).isoformat())
    assert (await push_one(laptop, "application.receive", future)).code == "invalid_date"
    not_a_counsellor = receive_args(client_id, handler_id=str(user_id("paiva")))
    assert (await push_one(laptop, "application.receive", not_a_counsellor)).code == "unknown_entity"

    args = receive_args(client_id, received_on=(today - timedelta(days=3)).isoformat(), handler_id=OHJAAJA)
    assert await push_one(laptop, "application.receive", args) is None
    app_id = args["application_id"]
    early = {"application_id": app_id, "decision": "granted", "decided_on": str(today - timedelta(days=5))}
    assert (await push_one(laptop, "application.decide", early)).code == "invalid_date"
    decide = {"application_id": app_id, "decision": "granted", "decided_on": str(today)}
    assert await push_one(laptop, "application.decide", decide) is None
    assert await push_one(laptop, "application.decide", decide) is None  # the same again: a no-op
    other = await push_one(laptop, "application.decide", {**decide, "decision": "refused"})
    assert other.code == "invalid_state" and other.details == {"status": "decided", "decision": "granted"}
    late = await push_one(
        laptop, "application.withdraw", {"application_id": app_id, "withdrawn_on": str(today)}
    )
    assert late.code == "invalid_state"
    handover = await push_one(
        laptop, "application.assign", {"application_id": app_id, "handler_id": OHJAAJA2}
    )
    assert handover.code == "invalid_state"

    second = receive_args(client_id)
    assert await push_one(laptop, "application.receive", second) is None
    withdraw = {"application_id": second["application_id"], "withdrawn_on": str(today)}
    assert await push_one(laptop, "application.withdraw", withdraw) is None
    db = await fresh(db)
    row = await db.get(Application, uuid.UUID(second["application_id"]))
    assert (row.status, row.withdrawn_on, row.handler_id) == ("withdrawn", today, None)
    # The same id with other content is a duplicate, not a silent overwrite.
    clash = await push_one(laptop, "application.receive", {**second, "service": "meals"})
    assert clash.code == "duplicate"


async def test_only_the_areas_counsellors_or_the_handler_move_an_application(client, db):
    laptop = await replica(client, "ohjaaja")
    client_id = await new_client(laptop)
    elsewhere = await replica(client, "ohjaaja-koillismaa")
    assert (await push_one(elsewhere, "application.receive", receive_args(client_id))).code == "forbidden"
    for username in ("paiva", "kotas", "admin"):
        other = await replica(client, username)
        assert (await push_one(other, "application.receive", receive_args(client_id))).code == "forbidden"

    args = receive_args(client_id)
    app_id = args["application_id"]
    assert await push_one(laptop, "application.receive", args) is None
    take = {"application_id": app_id, "handler_id": KOILLISMAA_COUNSELLOR}
    assert (await push_one(elsewhere, "application.assign", take)).code == "forbidden"
    # Handed to the Koillismaa counsellor, they hold it through their own scope and may decide it.
    assert await push_one(laptop, "application.assign", take) is None
    await elsewhere.pull()
    assert elsewhere.view.get("application", app_id).data["handler_id"] == KOILLISMAA_COUNSELLOR
    decide = {"application_id": app_id, "decision": "refused", "decided_on": str(today_in_finland())}
    assert await push_one(elsewhere, "application.decide", decide) is None
    # A decided application is not handed over any more.
    back = await replica(client, "ohjaaja")
    assert (
        await push_one(back, "application.assign", {**take, "handler_id": OHJAAJA})
    ).code == "invalid_state"
    second = receive_args(client_id, handler_id=KOILLISMAA_COUNSELLOR)
    assert await push_one(laptop, "application.receive", second) is None
    await elsewhere.pull()
    assert elsewhere.view.get("application", second["application_id"]) is not None
    # Handed to someone else: the former handler's scope drops the record.
    swap = {"application_id": second["application_id"], "handler_id": OHJAAJA}
    assert await push_one(laptop, "application.assign", swap) is None
    await elsewhere.pull()
    assert elsewhere.view.get("application", second["application_id"]) is None


async def test_counts_per_handler_equal_the_raw_rows(client, db):
    laptop = await replica(client, "ohjaaja")
    client_id = await new_client(laptop)
    today = today_in_finland()
    for n in range(12):
        handler = OHJAAJA if n % 2 else OHJAAJA2
        args = receive_args(client_id, handler_id=handler)
        assert await push_one(laptop, "application.receive", args) is None
        if n < 4:
            decide = {
                "application_id": args["application_id"],
                "decision": "granted",
                "decided_on": str(today),
            }
            assert await push_one(laptop, "application.decide", decide) is None

    month = today.strftime("%Y-%m")
    token = (await sign_in(client, "ohjaus-esihenkilo"))["access_token"]
    response = await client.get(
        "/api/assessments/statistics/applications",
        params={"from": month, "to": month},
        headers=bearer(token),
    )
    assert response.status_code == 200, response.text
    rows = response.json()["rows"]

    db = await fresh(db)
    start = today.replace(day=1)
    received, decided = Counter(), Counter()
    for a in (await db.execute(select(Application))).scalars():
        keys = [
            ("region", None, None),
            ("area", str(a.area_id), None),
            ("handler", str(a.area_id), str(a.handler_id)),
        ]
        for key in keys:
            received[key] += start <= a.received_on <= today
            decided[key] += a.decided_on is not None and start <= a.decided_on <= today
    shown = 0
    for row in rows:
        key = (row["level"], row["area_id"], row["handler_id"] if row["level"] == "handler" else None)
        if row["level"] == "region":
            key = ("region", None, None)
        if row["suppressed"]:
            assert row["received"] is None and row["decided"] is None
            continue
        shown += 1
        assert (row["received"], row["decided"]) == (received[key], decided[key]), row
    assert shown > 0
    region = next(r for r in rows if r["level"] == "region")
    assert region["received"] == received[("region", None, None)] >= 12
    handlers = {r["handler_id"] for r in rows if r["level"] == "handler"}
    assert {OHJAAJA, OHJAAJA2} <= handlers
    by_name = {r["handler_id"]: r["handler_name"] for r in rows if r["level"] == "handler"}
    assert by_name[OHJAAJA] == "Olli Ohjaaja"

    # Counsellors, coordinators and admins read them; unit staff do not.
    staff = (await sign_in(client, "paiva"))["access_token"]
    refused = await client.get("/api/assessments/statistics/applications", headers=bearer(staff))
    assert refused.status_code == 403
