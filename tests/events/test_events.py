"""Events through the real push path: record, update, named participants (logged), scopes, replays."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from server.access_log.models import AccessLogEntry
from server.events.models import Event, EventParticipant
from tests.conftest import bearer, sign_in
from tests.sync.domain_helpers import (
    DAY_CLIENT,
    DAY_CLIENT_2,
    KOILLISMAA,
    OULU,
    fresh,
    push_one,
    replica,
    user_id,
)


def event_args(**overrides):
    args = {
        "event_id": str(uuid.uuid4()),
        "kind": "info_session",
        "title": "Tietoa omaishoidon tuesta",
        "held_on": "2026-11-18",
        "area_id": OULU,
        "participant_count": 14,
        "topics": ["informal_care_support"],
        "place": "Oulun pääkirjasto, Pakkala-sali",
        "organiser_name": "Aino-neuvonta ja Oulun Omaishoitajat ry",
    }
    return args | overrides


async def test_event_is_recorded_updated_and_participants_named(client, db):
    laptop = await replica(client, "ohjaaja")
    args = event_args()
    assert await push_one(laptop, "event.record", args) is None
    assert await push_one(laptop, "event.record", args) is None  # the same again: a no-op
    other = await push_one(laptop, "event.record", {**args, "participant_count": 3})
    assert other.code == "duplicate"
    assert (
        await push_one(
            laptop, "event.update", {"event_id": args["event_id"], "changes": {"participant_count": 16}}
        )
        is None
    )
    for client_id in (DAY_CLIENT, DAY_CLIENT_2, DAY_CLIENT):
        assert (
            await push_one(
                laptop, "event.add_participant", {"event_id": args["event_id"], "client_id": client_id}
            )
            is None
        )
    too_few = await push_one(
        laptop, "event.update", {"event_id": args["event_id"], "changes": {"participant_count": 1}}
    )
    assert too_few.code == "invalid_args"
    assert (
        await push_one(
            laptop, "event.remove_participant", {"event_id": args["event_id"], "client_id": DAY_CLIENT_2}
        )
        is None
    )
    bad = await push_one(laptop, "event.record", event_args(kind="picnic"))
    assert bad.code == "invalid_code" and bad.details["list"] == "event.kind"

    db = await fresh(db)
    row = await db.get(Event, uuid.UUID(args["event_id"]))
    assert (row.participant_count, row.month, row.organiser_id, row.revision) == (
        16,
        "2026-11",
        user_id("ohjaaja"),
        5,
    )
    named = (
        (await db.execute(select(EventParticipant.client_id).where(EventParticipant.event_id == row.id)))
        .scalars()
        .all()
    )
    assert [str(c) for c in named] == [DAY_CLIENT]
    logged = (
        (
            await db.execute(
                select(AccessLogEntry)
                .where(AccessLogEntry.record_id == args["event_id"])
                .order_by(AccessLogEntry.id)
            )
        )
        .scalars()
        .all()
    )
    assert [(e.operation, str(e.client_id), e.basis) for e in logged] == [
        ("add_participant", DAY_CLIENT, f"guidance:area:{OULU}"),
        ("add_participant", DAY_CLIENT_2, f"guidance:area:{OULU}"),
        ("remove_participant", DAY_CLIENT_2, f"guidance:area:{OULU}"),
    ]

    await laptop.pull()
    record = laptop.view.get("event", args["event_id"])
    assert set(record.scopes) == {f"area:{OULU}", f"user:{user_id('ohjaaja')}"}
    assert record.data["participants"] == [DAY_CLIENT] and record.data["participant_count"] == 16
    assert laptop.view.get("client", DAY_CLIENT) is not None  # the participant is now a client of the area

    # Reading the event logs its named participant.
    token = (await sign_in(client, "ohjaaja"))["access_token"]
    response = await client.get(f"/api/events/{args['event_id']}", headers=bearer(token))
    assert response.status_code == 200 and response.json()["participants"] == [DAY_CLIENT]
    listed = await client.get("/api/events", params={"area_id": OULU}, headers=bearer(token))
    assert args["event_id"] in [e["id"] for e in listed.json()["events"]]  # among the demo county's
    db = await fresh(db)
    reads = (
        select(func.count())
        .select_from(AccessLogEntry)
        .where(AccessLogEntry.operation == "read", AccessLogEntry.record_id == args["event_id"])
    )
    assert await db.scalar(reads) == 2


async def test_events_of_another_area_are_refused(client, db):
    laptop = await replica(client, "ohjaaja")
    elsewhere, anywhere = event_args(area_id=KOILLISMAA), event_args()
    refused = await push_one(laptop, "event.record", elsewhere)
    assert refused.code == "forbidden"
    tablet = await replica(client, "paiva")
    assert (await push_one(tablet, "event.record", anywhere)).code == "forbidden"
    db = await fresh(db)
    tried = [uuid.UUID(elsewhere["event_id"]), uuid.UUID(anywhere["event_id"])]
    assert await db.scalar(select(func.count()).select_from(Event).where(Event.id.in_(tried))) == 0
