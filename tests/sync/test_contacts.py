"""contact.record and contact.link_client through the real app with the reference client."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from server.access_log.models import AccessLogEntry
from server.clients.models import ClientArea
from server.contacts.models import STATISTICS_FIELDS, Contact
from server.sync.models import Change
from tests.sync.domain_helpers import (
    DAY_CLIENT,
    DAY_CLIENT_2,
    KOILLISMAA,
    OULU,
    contact_args,
    envelope,
    fresh,
    push_one,
    raw_push,
    replica,
    user_id,
)


async def test_anonymous_contact_recorded_offline_arrives_exactly_once(client, db):
    laptop = await replica(client, "ohjaaja")
    await laptop.pull()
    args = contact_args()
    batch = [envelope(1, "contact.record", args)]
    first = await raw_push(client, laptop, batch)
    again = await raw_push(client, laptop, batch)  # the response was lost: the same batch again
    assert [r["status"] for r in first["results"]] == ["applied"]
    assert again["results"] == first["results"]
    # The same contact sent again as a new mutation (a reinstalled app re-sending its outbox) is a no-op.
    same = await raw_push(client, laptop, [envelope(2, "contact.record", args)])
    assert same["results"][0]["status"] == "applied"
    assert same["results"][0]["result"] == {"contact_id": args["contact_id"], "created": False}
    other = await raw_push(
        client, laptop, [envelope(3, "contact.record", {**args, "resolution": "referred_elsewhere"})]
    )
    assert other["results"][0]["status"] == "rejected" and other["results"][0]["code"] == "duplicate"

    db = await fresh(db)
    contact_id = uuid.UUID(args["contact_id"])
    assert await db.scalar(select(func.count()).select_from(Contact).where(Contact.id == contact_id)) == 1
    changes = (
        select(func.count())
        .select_from(Change)
        .where(Change.record_type == "contact", Change.record_id == args["contact_id"])
    )
    assert await db.scalar(changes) == 1
    row = await db.get(Contact, contact_id)
    assert (
        row.client_id is None and row.counsellor_id == user_id("ohjaaja") and row.resolution == "advice_given"
    )
    # Anonymous: nothing about a client to log.
    assert (
        await db.scalar(
            select(func.count())
            .select_from(AccessLogEntry)
            .where(AccessLogEntry.operation != "sync_download")
        )
        == 0
    )

    fresh_laptop = await replica(client, "ohjaaja")
    await fresh_laptop.pull()
    record = fresh_laptop.view.get("contact", args["contact_id"])
    assert record is not None
    assert set(record.scopes) == {f"area:{OULU}", f"user:{user_id('ohjaaja')}"}
    assert record.data["topics"] == ["home_care", "memory_issues"]


async def test_link_client_leaves_the_statistics_unchanged(client, db):
    laptop = await replica(client, "ohjaaja")
    await laptop.pull()
    assert laptop.view.get("client", DAY_CLIENT) is None, "not a client of the counsellor's yet"
    args = contact_args()
    assert await push_one(laptop, "contact.record", args) is None
    db = await fresh(db)
    before = await db.get(Contact, uuid.UUID(args["contact_id"]))
    stats = {name: getattr(before, name) for name in STATISTICS_FIELDS}

    assert (
        await push_one(
            laptop, "contact.link_client", {"contact_id": args["contact_id"], "client_id": DAY_CLIENT}
        )
        is None
    )
    db = await fresh(db)
    after = await db.get(Contact, uuid.UUID(args["contact_id"]))
    assert {name: getattr(after, name) for name in STATISTICS_FIELDS} == stats
    assert str(after.client_id) == DAY_CLIENT and after.linked_by == user_id("ohjaaja")
    assert await db.get(ClientArea, (uuid.UUID(DAY_CLIENT), uuid.UUID(OULU))) is not None
    logged = (
        (await db.execute(select(AccessLogEntry).where(AccessLogEntry.operation != "sync_download")))
        .scalars()
        .all()
    )
    assert [(e.operation, str(e.client_id), e.record_type) for e in logged] == [
        ("link_client", DAY_CLIENT, "contact")
    ]

    # The linked client is now visible to the area's counsellors, and stays so after later republishing.
    await laptop.pull()
    linked = laptop.view.get("client", DAY_CLIENT)
    assert linked is not None and f"area:{OULU}" in linked.scopes
    assert laptop.view.get("contact", args["contact_id"]).data["client_id"] == DAY_CLIENT
    assert (
        await push_one(laptop, "client.update", {"client_id": DAY_CLIENT, "changes": {"phone": "040 1"}})
        is None
    )
    await laptop.pull()
    assert f"area:{OULU}" in laptop.view.get("client", DAY_CLIENT).scopes

    # Linking again to the same client is a no-op; to another client is refused.
    assert (
        await push_one(
            laptop, "contact.link_client", {"contact_id": args["contact_id"], "client_id": DAY_CLIENT}
        )
        is None
    )
    refused = await push_one(
        laptop, "contact.link_client", {"contact_id": args["contact_id"], "client_id": DAY_CLIENT_2}
    )
    assert refused.status == "rejected" and refused.code == "already_linked"
    unknown = await push_one(
        laptop, "contact.link_client", {"contact_id": str(uuid.uuid4()), "client_id": DAY_CLIENT}
    )
    assert unknown.code == "unknown_entity"


async def test_named_contact_is_logged_and_publishes_the_client(client, db):
    laptop = await replica(client, "ohjaaja")
    args = contact_args(client_id=DAY_CLIENT, caller_type="client")
    assert await push_one(laptop, "contact.record", args) is None
    await laptop.pull()
    assert laptop.view.get("client", DAY_CLIENT) is not None
    db = await fresh(db)
    entry = (
        await db.execute(select(AccessLogEntry).where(AccessLogEntry.operation != "sync_download"))
    ).scalar_one()
    assert (entry.operation, str(entry.client_id), entry.basis) == (
        "create",
        DAY_CLIENT,
        f"guidance:area:{OULU}",
    )


async def test_a_counsellor_cannot_record_into_another_area(client, db):
    laptop = await replica(client, "ohjaaja")
    elsewhere, anywhere = contact_args(area_id=KOILLISMAA), contact_args()
    outcome = await push_one(laptop, "contact.record", elsewhere)
    assert outcome.status == "rejected" and outcome.code == "forbidden"
    assert outcome.details == {"scope": f"area:{KOILLISMAA}"}
    # Unit staff hold no area at all.
    tablet = await replica(client, "paiva")
    outcome = await push_one(tablet, "contact.record", anywhere)
    assert outcome.code == "forbidden"
    # The rejection is also carried by the next pull's outcomes, and nothing was written.
    await laptop.pull()
    assert [o.code for o in laptop.outcomes()] == ["forbidden"]
    db = await fresh(db)
    tried = [uuid.UUID(elsewhere["contact_id"]), uuid.UUID(anywhere["contact_id"])]
    assert await db.scalar(select(func.count()).select_from(Contact).where(Contact.id.in_(tried))) == 0


async def test_invalid_codes_and_unknown_ids_are_rejected(client, db):
    laptop = await replica(client, "ohjaaja")
    cases = [
        (contact_args(channel="carrier_pigeon"), "invalid_code", "contact.channel"),
        (contact_args(topics=["home_care", "astrology"]), "invalid_code", "contact.topics"),
        (contact_args(resolution="shrugged"), "invalid_code", "contact.resolution"),
        (contact_args(service_point_id=str(uuid.uuid4())), "unknown_entity", None),
        # An unknown client gets the answer of a client without a basis: the id reveals nothing.
        (contact_args(client_id=str(uuid.uuid4())), "forbidden", None),
    ]
    for args, code, code_list in cases:
        outcome = await push_one(laptop, "contact.record", args)
        assert outcome is not None and outcome.code == code, (args, outcome)
        if code_list:
            assert outcome.details["list"] == code_list
    db = await fresh(db)
    tried = [uuid.UUID(args["contact_id"]) for args, _, _ in cases]
    assert await db.scalar(select(func.count()).select_from(Contact).where(Contact.id.in_(tried))) == 0
