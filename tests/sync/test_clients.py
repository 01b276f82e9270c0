"""client.create and client.update: authorisation, field policies (lww / manual) and the access log."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select

from server.access_log.models import AccessLogEntry
from server.clients.models import Client, ClientArea, ClientUnit
from server.conflicts.models import Conflict
from tests.sync.domain_helpers import (
    DAY_CLIENT,
    DAY_UNIT,
    KUUSAMO,
    OULU,
    OULU_CITY,
    STC_UNIT,
    fresh,
    push_one,
    replica,
    user_id,
)


def new_client(**overrides):
    args = {
        "client_id": str(uuid.uuid4()),
        "first_name": "Aili",
        "last_name": "Korhonen",
        "birth_date": "1941-03-02",
        "municipality_id": OULU_CITY,
        "phone": "040 123 4567",
        "address": None,
    }
    args.update(overrides)
    return args


async def test_counsellor_creates_a_client_in_their_area(client, db):
    laptop = await replica(client, "ohjaaja")
    args = new_client()
    assert await push_one(laptop, "client.create", args) is None
    await laptop.pull()
    record = laptop.view.get("client", args["client_id"])
    assert record.scopes == (f"area:{OULU}",) and record.data["revision"] == 1
    # The same create again is a no-op; other content under the same id is a duplicate.
    assert await push_one(laptop, "client.create", args) is None
    outcome = await push_one(laptop, "client.create", {**args, "first_name": "Aune"})
    assert outcome.code == "duplicate"
    outcome = await push_one(laptop, "client.create", new_client(municipality_id=KUUSAMO))
    assert outcome.code == "forbidden"
    outcome = await push_one(laptop, "client.create", new_client(municipality_id=str(uuid.uuid4())))
    assert outcome.code == "unknown_entity"

    db = await fresh(db)
    row = await db.get(Client, uuid.UUID(args["client_id"]))
    assert row.birth_date == date(1941, 3, 2) and row.revision == 1
    assert await db.get(ClientArea, (row.id, uuid.UUID(OULU))) is not None
    entries = (
        (await db.execute(select(AccessLogEntry).where(AccessLogEntry.operation != "sync_download")))
        .scalars()
        .all()
    )
    assert [(e.operation, e.role, e.basis) for e in entries] == [
        ("create", "counsellor", f"guidance:area:{OULU}"),
        # The same create again read the client to find it unchanged: an access, logged as the mutation.
        ("client.create", "counsellor", f"guidance:area:{OULU}"),
    ]


async def test_unit_staff_create_a_client_only_with_their_unit(client, db):
    tablet = await replica(client, "paiva")
    outcome = await push_one(tablet, "client.create", new_client())
    assert outcome.code == "forbidden"
    outcome = await push_one(tablet, "client.create", new_client(unit_id=STC_UNIT))
    assert outcome.code == "forbidden"
    args = new_client(unit_id=DAY_UNIT)
    assert await push_one(tablet, "client.create", args) is None
    await tablet.pull()
    assert tablet.view.get("client", args["client_id"]).scopes == (f"unit:{DAY_UNIT}",)
    db = await fresh(db)
    link = (
        await db.execute(select(ClientUnit).where(ClientUnit.client_id == uuid.UUID(args["client_id"])))
    ).scalar_one()
    assert str(link.unit_id) == DAY_UNIT and link.until is None
    entries = (
        await db.execute(select(AccessLogEntry).where(AccessLogEntry.operation != "sync_download"))
    ).scalars()
    assert [(e.operation, e.basis) for e in entries] == [
        ("write_refused", "none"),  # the attempt in another unit, refused by the declarations
        ("create", f"service_relationship:unit:{DAY_UNIT}"),
    ]


async def test_update_applies_lww_and_turns_a_stale_manual_change_into_one_conflict(client, db):
    laptop = await replica(client, "ohjaaja")
    phone = await replica(client, "ohjaaja")  # the same counsellor's second device, offline for a while
    args = new_client()
    await push_one(laptop, "client.create", args)
    await laptop.pull()
    await phone.pull()
    seen = phone.view.get("client", args["client_id"]).data["revision"]
    assert seen == 1

    # The laptop corrects the birth date (it saw revision 1: applied).
    assert (
        await push_one(
            laptop,
            "client.update",
            {"client_id": args["client_id"], "changes": {"birth_date": "1941-03-12"}},
            base_version=1,
        )
        is None
    )
    # The phone, still at revision 1, changes the birth date differently, plus the phone number and name.
    outcome = await push_one(
        phone,
        "client.update",
        {
            "client_id": args["client_id"],
            "changes": {"birth_date": "1942-03-02", "phone": "050 999", "last_name": "Kinnunen"},
        },
        base_version=seen,
    )
    assert outcome.status == "conflict" and outcome.conflict_id is not None

    db = await fresh(db)
    row = await db.get(Client, uuid.UUID(args["client_id"]))
    assert row.birth_date == date(1941, 3, 12), "the contested field keeps its value"
    assert (row.phone, row.last_name) == ("050 999", "Kinnunen"), "the other fields still apply"
    conflicts = (await db.execute(select(Conflict))).scalars().all()
    assert len(conflicts) == 1
    conflict = conflicts[0]
    assert conflict.id == outcome.conflict_id
    assert (conflict.record_type, conflict.record_id, conflict.field) == (
        "client",
        args["client_id"],
        "birth_date",
    )
    assert (conflict.kept_value, conflict.proposed_value) == ("1941-03-12", "1942-03-02")
    assert conflict.author_id == user_id("ohjaaja") and conflict.status == "open"
    assert [
        e.operation
        for e in (
            await db.execute(
                select(AccessLogEntry)
                .where(AccessLogEntry.operation != "sync_download")
                .order_by(AccessLogEntry.id)
            )
        ).scalars()
    ] == [
        "create",
        "update",
        "update",
    ]

    # Both devices get the conflict (user scope and the record's area) and the merged client.
    await phone.pull()
    record = phone.view.get("conflict", str(conflict.id))
    assert record is not None and {"admin", f"user:{user_id('ohjaaja')}", f"area:{OULU}"} == set(
        record.scopes
    ) | {"admin"}
    assert record.data["kept_value"] == "1941-03-12" and record.data["proposed_value"] == "1942-03-02"
    data = phone.view.get("client", args["client_id"]).data
    assert (data["birth_date"], data["phone"], data["revision"]) == ("1941-03-12", "050 999", 3)

    # With the current revision the manual change applies; a server field or an unknown one is refused.
    assert (
        await push_one(
            phone,
            "client.update",
            {
                "client_id": args["client_id"],
                "changes": {"municipality_id": OULU_CITY, "birth_date": "1942-03-02"},
            },
            base_version=3,
        )
        is None
    )
    outcome = await push_one(
        phone, "client.update", {"client_id": args["client_id"], "changes": {"id": str(uuid.uuid4())}}
    )
    assert outcome.code == "invalid_args"


def birth_date_update(client_id: str, value: str) -> dict:
    return {"client_id": client_id, "changes": {"birth_date": value}}


async def set_birth_date(device, client_id: str, value: str, base_version: int):
    """Push one `client.update` of the birth date; its held outcome (None when applied)."""
    return await push_one(device, "client.update", birth_date_update(client_id, value), base_version)


async def test_a_devices_own_offline_changes_in_a_row_are_not_conflicts(client, db):
    laptop = await replica(client, "ohjaaja")
    phone = await replica(client, "ohjaaja")  # the same counsellor's second device
    args = new_client()
    await push_one(laptop, "client.create", args)
    await phone.pull()
    cid = args["client_id"]

    # Offline, the phone corrects the birth date twice, both times based on the revision it saw (1).
    await phone.mutate("client.update", birth_date_update(cid, "1941-03-12"), base_version=1)
    await phone.mutate("client.update", birth_date_update(cid, "1941-03-21"), base_version=1)
    await phone.push()
    # A third change in a later push, the phone still not having pulled: its own changes are not news to it.
    assert await set_birth_date(phone, cid, "1941-03-22", 1) is None
    assert phone.outcomes() == []

    db = await fresh(db)
    row = await db.get(Client, uuid.UUID(cid))
    assert (row.birth_date, row.revision) == (date(1941, 3, 22), 4)
    assert (await db.execute(select(Conflict))).scalars().all() == []

    # The laptop, which saw revision 1 and none of the phone's changes, still gets a conflict.
    outcome = await set_birth_date(laptop, cid, "1940-01-01", 1)
    assert outcome.status == "conflict"
    db = await fresh(db)
    conflict = (await db.execute(select(Conflict))).scalar_one()
    assert (conflict.kept_value, conflict.proposed_value) == ("1941-03-22", "1940-01-01")
    assert (await db.get(Client, uuid.UUID(cid))).birth_date == date(1941, 3, 22)


async def test_another_devices_change_in_between_is_news_to_the_first(client, db):
    laptop = await replica(client, "ohjaaja")
    phone = await replica(client, "ohjaaja")
    args = new_client()
    await push_one(laptop, "client.create", args)
    cid = args["client_id"]

    # The phone changes it (based on 1), the laptop then changes it having seen that (based on 2) ...
    assert await set_birth_date(phone, cid, "1941-03-12", 1) is None
    assert await set_birth_date(laptop, cid, "1941-03-13", 2) is None
    # ... and the phone's next offline change, still based on 1, has not seen the laptop's: a conflict.
    outcome = await set_birth_date(phone, cid, "1941-03-14", 1)
    assert outcome.status == "conflict"
    db = await fresh(db)
    conflict = (await db.execute(select(Conflict))).scalar_one()
    assert (conflict.kept_value, conflict.proposed_value) == ("1941-03-13", "1941-03-14")
    # Having pulled the laptop's change (revision 3), the phone's next change applies.
    assert await set_birth_date(phone, cid, "1941-03-15", 3) is None


async def test_a_field_changed_before_authors_were_kept_conflicts_as_before(client, db):
    phone = await replica(client, "ohjaaja")
    args = new_client()
    await push_one(phone, "client.create", args)
    cid = args["client_id"]
    row = await db.get(Client, uuid.UUID(cid))
    row.revision, row.field_versions = 2, {"birth_date": 2}  # as stored before: the revision alone
    await db.commit()

    outcome = await set_birth_date(phone, cid, "1941-03-12", 1)
    assert outcome.status == "conflict", "whose change it was is not known: it is news"
    assert await set_birth_date(phone, cid, "1941-03-13", 2) is None
    assert await set_birth_date(phone, cid, "1941-03-14", 2) is None
    db = await fresh(db)
    assert (await db.get(Client, uuid.UUID(cid))).birth_date == date(1941, 3, 14)


async def test_update_needs_a_basis_and_a_known_client(client):
    hoiva = await replica(client, "hoiva")
    outcome = await push_one(hoiva, "client.update", {"client_id": DAY_CLIENT, "changes": {"phone": "1"}})
    assert outcome.code == "forbidden"
    outcome = await push_one(
        hoiva, "client.update", {"client_id": str(uuid.uuid4()), "changes": {"phone": "1"}}
    )
    assert outcome.code == "forbidden"  # as a client without a basis: the id reveals nothing
    paiva = await replica(client, "paiva")
    assert (
        await push_one(paiva, "client.update", {"client_id": DAY_CLIENT, "changes": {"phone": "1"}}) is None
    )
