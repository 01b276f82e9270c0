"""Offers end to end as `kotas` (coordinator): an open offer holds a place, accepting turns the hold into a
stay without counting it twice, declining and expiry release it exactly once, one open offer per entry,
and a full unit rejects the offer with alternatives."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from server.places.models import Stay
from server.queue.jobs import expire_offers
from server.queue.models import Offer
from tests.places.helpers import (
    STC,
    STC_2,
    STC_CLIENTS,
    day,
    other_client,
    published,
    recompute,
    replica,
    window,
)
from tests.queue.helpers import offer, outcome, refer


async def queued(kotas, n: int = 0) -> str:
    _, entry_id = await refer(kotas, other_client(n))
    assert (await kotas.sync()).push.applied == 1
    return entry_id


async def test_offer_holds_and_accept_becomes_the_stay(client, db):
    kotas = await replica(client, "kotas")
    entry_id = await queued(kotas)
    assert published(kotas, STC)[day(21)] == (4, 0)
    made = await offer(kotas, entry_id, 20, 22)
    assert (await kotas.sync()).push.applied == 1, kotas.outcomes()
    assert published(kotas, STC)[day(21)] == (4, 1), "the open offer holds one place"
    assert published(kotas, STC)[day(23)] == (4, 0)
    entry = kotas.view.get("queue_entry", entry_id).data
    assert entry["status"] == "offered" and entry["offer_id"] == made.args["offer_id"]

    second = await offer(kotas, entry_id, 25, 26)
    await kotas.sync()
    assert outcome(kotas, second).code == "already_offered"

    await kotas.mutate("placement.accept", {"offer_id": made.args["offer_id"]})
    assert (await kotas.sync()).push.applied == 1, kotas.outcomes()
    record = kotas.view.get("offer", made.args["offer_id"]).data
    assert record["status"] == "accepted"
    stay = kotas.view.get("stay", record["placement_id"]).data
    assert (stay["start_date"], stay["end_date"], stay["status"]) == (day(20), day(22), "booked")
    assert published(kotas, STC)[day(21)] == (4, 1), "the hold became the stay: counted once"
    assert published(kotas, STC) == await recompute(db, STC, window())
    assert kotas.view.get("queue_entry", entry_id).data["status"] == "placed"


async def test_decline_and_expiry_release_exactly_once(client, db):
    kotas = await replica(client, "kotas")
    first, second = await queued(kotas, 0), await queued(kotas, 1)
    declined = await offer(kotas, first, 20, 22)
    # The expiry job is given its clock: it runs just before and at the expiry, however long the syncs
    # take (the offer must only still be open when it is made: two minutes is ample on a loaded machine).
    expires = (datetime.now(UTC) + timedelta(minutes=2)).replace(microsecond=0)
    expiring = await offer(kotas, second, 21, 23, expires_at=expires.isoformat())
    await kotas.sync()
    assert published(kotas, STC)[day(21)] == (4, 2)

    await kotas.mutate("placement.decline", {"offer_id": declined.args["offer_id"], "reason": "not now"})
    await kotas.sync()
    assert published(kotas, STC)[day(21)] == (4, 1)
    assert kotas.view.get("queue_entry", first).data["status"] == "waiting"

    assert (await expire_offers(db, expires - timedelta(seconds=1)))[0] == [], "not yet"
    await db.commit()  # as the job runner does
    later = expires
    expired, _ = await expire_offers(db, later)
    await db.commit()
    assert [str(i) for i in expired] == [expiring.args["offer_id"]]
    again, changes = await expire_offers(db, later)
    await db.commit()
    assert again == [] and changes.last_version is None, "a second run changes nothing"
    await kotas.pull()
    assert published(kotas, STC)[day(21)] == (4, 0)
    assert kotas.view.get("offer", expiring.args["offer_id"]).data["status"] == "expired"
    assert kotas.view.get("queue_entry", second).data["status"] == "waiting"
    assert published(kotas, STC) == await recompute(db, STC, window())

    late = await kotas.mutate("placement.accept", {"offer_id": expiring.args["offer_id"]})
    await kotas.sync()
    assert outcome(kotas, late).code == "offer_expired"
    await db.rollback()
    statuses = sorted((await db.execute(select(Offer.status).where(Offer.unit_id == STC))).scalars())
    assert statuses == ["declined", "expired"]
    assert (
        await db.execute(select(Stay).where(Stay.client_id == uuid.UUID(other_client(1))))
    ).first() is None


async def test_offer_past_expiry_is_rejected_before_the_job_runs(client):
    kotas = await replica(client, "kotas")
    entry_id = await queued(kotas)
    # Three seconds: the offer must still be in the future when a busy server applies it; then wait until
    # the expiry has passed by the wall clock (the mutation reads the real time).
    expires = datetime.now(UTC) + timedelta(seconds=3)
    made = await offer(kotas, entry_id, 40, 41, expires_at=expires.isoformat())
    assert (await kotas.sync()).push.applied == 1
    await asyncio.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()) + 0.05)
    late = await kotas.mutate("placement.decline", {"offer_id": made.args["offer_id"]})
    await kotas.sync()
    assert outcome(kotas, late).code == "offer_expired"


async def test_full_unit_rejects_offer_with_alternatives(client):
    hoiva, kotas = await replica(client, "hoiva"), await replica(client, "kotas")

    for n in range(4):
        await hoiva.mutate(
            "stay.book",
            {
                "stay_id": str(uuid.uuid4()),
                "client_id": STC_CLIENTS[n % 2],
                "unit_id": str(STC),
                "start_date": day(30),
                "end_date": day(31),
            },
        )
    assert (await hoiva.sync()).push.applied == 4
    entry_id = await queued(kotas)
    full = await offer(kotas, entry_id, 31, 33)
    await kotas.sync()
    rejected = outcome(kotas, full)
    assert rejected.code == "capacity_exhausted"
    assert rejected.details["dates"] == [day(31)]
    assert str(STC_2) in {a["unit_id"] for a in rejected.details["alternatives"]}
    assert kotas.view.get("queue_entry", entry_id).data["status"] == "waiting"

    ohjaaja = await replica(client, "ohjaaja")
    not_coordinator = await offer(ohjaaja, entry_id, 40, 41)
    await ohjaaja.sync()
    assert outcome(ohjaaja, not_coordinator).code == "forbidden"
