"""client.merge while devices hold both records, offline mutations against the merged id, the conflicts a
merge raises, the admin's duplicates and merges; the identity code on the client record. Both engines."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, select

from server.access_log.models import AccessLogEntry
from server.clients.models import Client, ClientIdentity, ClientMerge
from server.conflicts.models import Conflict
from server.contacts.models import Contact
from server.identity_code import make
from server.places.models import Stay
from server.queue.models import ACTIVE_ENTRY_STATUSES, QueueEntry
from server.sbm_import.models import ImportedRecord, PossibleDuplicate
from tests.sync.domain_helpers import DAY_CLIENT, OULU_CITY, contact_args, fresh, push_one, replica

CODE = make(date(1941, 3, 2), 931)  # the artificial range 900-999 only


def person(**overrides):
    args = {
        "client_id": str(uuid.uuid4()),
        "first_name": "Aili",
        "last_name": "Korhonen",
        "birth_date": "1941-03-02",
        "municipality_id": OULU_CITY,
    }
    return args | overrides


async def test_merge_while_two_devices_hold_both_and_one_queued_an_edit_offline(client, db):
    laptop = await replica(client, "ohjaaja")
    other = await replica(client, "ohjaaja2")
    kept, gone = person(), person(first_name="Aili Maria", phone="040 1")
    for args in (kept, gone):
        assert await push_one(laptop, "client.create", args) is None
    contact = contact_args(client_id=gone["client_id"])
    assert await push_one(laptop, "contact.record", contact) is None
    assert (
        await push_one(
            laptop, "client.set_identity_code", {"client_id": gone["client_id"], "identity_code": CODE}
        )
        is None
    )
    await laptop.pull()
    await other.pull()
    assert other.view.get("client", gone["client_id"]) is not None
    statistics = "/api/guidance/statistics/contacts?from=2026-11&to=2026-11"
    before = (await client.get(statistics, headers=laptop.credentials.headers())).json()
    # Offline on the second laptop: an edit of the record that is about to be merged away.
    await other.mutate("client.update", {"client_id": gone["client_id"], "changes": {"phone": "040 2"}})

    assert (
        await push_one(
            laptop, "client.merge", {"client_id": kept["client_id"], "merged_client_id": gone["client_id"]}
        )
        is None
    )
    await laptop.pull()
    assert laptop.view.get("client", gone["client_id"]) is None
    assert laptop.view.get("client", kept["client_id"]) is not None
    assert laptop.view.get("contact", contact["contact_id"]).data["client_id"] == kept["client_id"]
    assert laptop.view.get("client_identity", kept["client_id"]).data["identity_code"] == CODE
    assert laptop.view.get("client_identity", gone["client_id"]) is None

    # The queued edit reaches the survivor; the device then loses the merged record.
    report = await other.push()
    assert report.rejected == 0 and other.outcomes() == []
    await other.pull()
    assert other.view.get("client", gone["client_id"]) is None
    assert other.view.get("client", kept["client_id"]).data["phone"] == "040 2"

    assert (await client.get(statistics, headers=laptop.credentials.headers())).json() == before
    db = await fresh(db)
    assert await db.get(Client, uuid.UUID(gone["client_id"])) is None
    assert (await db.get(Contact, uuid.UUID(contact["contact_id"]))).client_id == uuid.UUID(kept["client_id"])
    assert (await db.get(ClientIdentity, uuid.UUID(kept["client_id"]))).identity_code == CODE
    merge = await db.get(ClientMerge, uuid.UUID(gone["client_id"]))
    assert merge.survivor_id == uuid.UUID(kept["client_id"]) and merge.summary["moved"]["contacts"] == 1
    logged = await db.execute(
        select(AccessLogEntry.client_id, AccessLogEntry.role).where(
            AccessLogEntry.record_type == "client_merge"
        )
    )
    assert sorted(logged.all()) == sorted(
        [(uuid.UUID(kept["client_id"]), "counsellor"), (uuid.UUID(gone["client_id"]), "counsellor")]
    )

    # The same merge from another device is a no-op; merging the merged id elsewhere is refused.
    assert (
        await push_one(
            other, "client.merge", {"client_id": kept["client_id"], "merged_client_id": gone["client_id"]}
        )
        is None
    )
    third = person(first_name="Aune")
    assert await push_one(laptop, "client.create", third) is None
    outcome = await push_one(
        laptop, "client.merge", {"client_id": third["client_id"], "merged_client_id": gone["client_id"]}
    )
    assert outcome.code == "invalid_state" and outcome.details["survivor_id"] == kept["client_id"]
    outcome = await push_one(
        laptop, "client.merge", {"client_id": third["client_id"], "merged_client_id": third["client_id"]}
    )
    assert outcome.code == "invalid_args"

    admin = await replica(client, "admin")
    listed = (await client.get("/api/admin/merges", headers=admin.credentials.headers())).json()
    assert [(m["merged_client_id"], m["survivor_id"]) for m in listed] == [
        (gone["client_id"], kept["client_id"])
    ]


async def test_who_may_merge(client, db):
    laptop = await replica(client, "ohjaaja")
    a, b = person(), person()
    for args in (a, b):
        assert await push_one(laptop, "client.create", args) is None
    merge = {"client_id": a["client_id"], "merged_client_id": b["client_id"]}
    # Unit staff (no such role) and a counsellor of another area (no basis) are refused alike.
    assert (await push_one(await replica(client, "paiva"), "client.merge", merge)).code == "forbidden"
    assert (
        await push_one(await replica(client, "ohjaaja-koillismaa"), "client.merge", merge)
    ).code == "forbidden"
    # An admin only on a listed possible duplicate.
    admin = await replica(client, "admin")
    assert (await push_one(admin, "client.merge", merge)).code == "forbidden"
    low, high = sorted(uuid.UUID(x) for x in (a["client_id"], b["client_id"]))
    db.add(
        PossibleDuplicate(id=uuid.uuid4(), client_id=low, other_client_id=high, reason="name_and_birth_date")
    )
    db.add(ImportedRecord(system="oulu", kind="client", source_id="A-1", record_id=uuid.UUID(b["client_id"])))
    await db.commit()
    listed = (await client.get("/api/admin/duplicates", headers=admin.credentials.headers())).json()
    assert [{c["id"] for c in d["clients"]} for d in listed] == [{a["client_id"], b["client_id"]}]
    assert {c["id"]: c["sources"] for c in listed[0]["clients"]}[b["client_id"]] == ["oulu:A-1"]
    assert (
        await client.get("/api/admin/duplicates?limit=201", headers=admin.credentials.headers())
    ).status_code == 400
    assert (
        await client.get("/api/admin/duplicates", headers=laptop.credentials.headers())
    ).status_code == 403
    assert await push_one(admin, "client.merge", merge) is None
    assert (await client.get("/api/admin/duplicates", headers=admin.credentials.headers())).json() == []
    db = await fresh(db)
    assert (await db.get(ImportedRecord, ("oulu", "client", "A-1"))).record_id == uuid.UUID(a["client_id"])


async def test_two_active_queue_entries_and_overlapping_stays_become_conflicts(client, db):
    entries = (
        await db.execute(
            select(QueueEntry.id, QueueEntry.client_id, QueueEntry.service_kind)
            .where(QueueEntry.status.in_(ACTIVE_ENTRY_STATUSES))
            .order_by(QueueEntry.id)
        )
    ).all()
    pair = next(
        (x, y)
        for x in entries
        for y in entries
        if x.client_id != y.client_id and x.service_kind == y.service_kind
    )
    stays = (
        await db.execute(
            select(Stay.id, Stay.client_id, Stay.start_date, Stay.end_date)
            .where(Stay.status != "cancelled")
            .order_by(Stay.id)
        )
    ).all()
    overlap = next(
        (x, y)
        for x in stays
        for y in stays
        if x.client_id != y.client_id and x.start_date <= y.end_date and y.start_date <= x.end_date
    )
    admin = await replica(client, "admin")
    db = await fresh(db)
    for kept, gone in (pair, overlap):
        low, high = sorted((kept.client_id, gone.client_id))
        db.add(
            PossibleDuplicate(
                id=uuid.uuid4(), client_id=low, other_client_id=high, reason="name_and_birth_date"
            )
        )
    await db.commit()
    kept, gone = pair
    before = await db.scalar(select(func.count()).select_from(Conflict).where(Conflict.field.like("merge.%")))
    assert before == 0
    outcome = await push_one(
        admin, "client.merge", {"client_id": str(kept.client_id), "merged_client_id": str(gone.client_id)}
    )
    assert outcome.status == "conflict"
    db = await fresh(db)
    fields = set(await db.scalars(select(Conflict.field).where(Conflict.field.like("merge.%"))))
    assert f"merge.queue_entry:{gone.id}" in fields
    kept_stay, gone_stay = overlap
    if {kept_stay.client_id, gone_stay.client_id} & {kept.client_id, gone.client_id}:
        return  # the same client in both pairs: the stays' merge was this one
    outcome = await push_one(
        admin,
        "client.merge",
        {"client_id": str(kept_stay.client_id), "merged_client_id": str(gone_stay.client_id)},
    )
    assert outcome.status == "conflict"
    db = await fresh(db)
    fields = set(await db.scalars(select(Conflict.field).where(Conflict.field.like("merge.stay:%"))))
    assert f"merge.stay:{gone_stay.id}" in fields


async def test_identity_code_set_masked_searched_and_never_on_a_unit_tablet(client, db):
    laptop = await replica(client, "ohjaaja")
    tablet = await replica(client, "paiva")
    set_code = {"client_id": DAY_CLIENT, "identity_code": None}
    day_client = await db.get(Client, uuid.UUID(DAY_CLIENT))
    code = make(day_client.birth_date or date(1940, 1, 1), 950)
    if day_client.birth_date is None:
        day_client.birth_date = date(1940, 1, 1)
        await db.commit()
    for bad, reason in (
        ("010140-950X", "check_character"),
        ("311340-9501", "date"),
        ("0101401950A", "century_sign"),
    ):
        outcome = await push_one(laptop, "client.set_identity_code", {**set_code, "identity_code": bad})
        assert outcome.code == "invalid_args" and outcome.details["reason"] == reason, bad
    outcome = await push_one(laptop, "client.set_identity_code", {**set_code, "identity_code": "x" * 21})
    assert outcome.code == "invalid_args"
    wrong_day = make(date(1950, 5, 5), 951)
    outcome = await push_one(laptop, "client.set_identity_code", {**set_code, "identity_code": wrong_day})
    assert outcome.details["reason"] == "birth_date"
    # Unit staff may not set it, though they see the client.
    assert (
        await push_one(tablet, "client.set_identity_code", {**set_code, "identity_code": code})
    ).code == "forbidden"
    assert (
        await push_one(laptop, "client.set_identity_code", {**set_code, "identity_code": code.lower()})
        is None
    )
    other = person(birth_date=None)
    assert await push_one(laptop, "client.create", other) is None
    outcome = await push_one(
        laptop, "client.set_identity_code", {"client_id": other["client_id"], "identity_code": code}
    )
    assert outcome.code == "duplicate"

    own_code = make(date(1941, 3, 2), 952)
    args = {"client_id": other["client_id"], "identity_code": own_code}
    assert await push_one(laptop, "client.set_identity_code", args) is None
    await laptop.pull()
    await tablet.pull()
    # The counsellor's device holds the code of a client it holds; the unit tablet never holds one.
    assert laptop.view.get("client_identity", other["client_id"]).data["identity_code"] == own_code
    assert tablet.view.get("client", DAY_CLIENT) is not None
    assert tablet.store.records("client_identity") == []
    full = (await client.get(f"/api/clients/{DAY_CLIENT}", headers=laptop.credentials.headers())).json()
    masked = (await client.get(f"/api/clients/{DAY_CLIENT}", headers=tablet.credentials.headers())).json()
    assert full["identity_code"] == code and masked["identity_code"] == code[:7] + "****"

    db = await fresh(db)
    searches = (
        select(func.count())
        .select_from(AccessLogEntry)
        .where(AccessLogEntry.record_type == "client_identity_search")
    )
    hits = (
        await client.get(f"/api/clients/by-identity-code?code={code}", headers=laptop.credentials.headers())
    ).json()
    assert [h["id"] for h in hits] == [DAY_CLIENT]
    admin = await replica(client, "admin")
    hits = (
        await client.get(f"/api/clients/by-identity-code?code={code}", headers=admin.credentials.headers())
    ).json()
    assert hits[0]["basis"] == "admin:identity_search"
    nobody = make(date(1941, 3, 2), 999)
    assert (
        await client.get(f"/api/clients/by-identity-code?code={nobody}", headers=laptop.credentials.headers())
    ).json() == []
    bad = await client.get(
        "/api/clients/by-identity-code?code=010140-950X", headers=laptop.credentials.headers()
    )
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_identity_code"
    refused = await client.get(
        f"/api/clients/by-identity-code?code={code}", headers=tablet.credentials.headers()
    )
    assert refused.status_code == 403
    db = await fresh(db)
    assert await db.scalar(searches) == 3  # two that found the client, one that found nobody
