"""Who may do what with guidance data (role x area x record x operation), the access log of client reads,
and contacts recorded offline arriving exactly once.

| principal  | role and scope                                     |
|------------|----------------------------------------------------|
| admin      | admin, region                                      |
| kotas      | coordinator, region                                |
| ohjaaja    | counsellor, area Oulu                              |
| ohjaaja_k  | counsellor, area Koillismaa                        |
| esihenkilo | supervisor, region (every area)                    |
| paiva      | unit staff of oulu-da-1                            |
| anonymous  | no token                                           |
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from server.access_log.models import AccessLogEntry
from server.accounts.models import RoleAssignment, User
from server.accounts.passwords import hash_password, hasher
from server.contacts.models import Contact
from server.demo import DEMO_PASSWORD, demo_id
from server.sync.models import Change
from sync_protocol.client import MemoryStore, Replica, login
from tests.conftest import bearer, sign_in
from tests.events.test_events import event_args
from tests.sync.domain_helpers import DAY_CLIENT, KOILLISMAA, OULU, contact_args, fresh, push_one, replica

EXTRA = {"ohjaaja_k": ("counsellor", uuid.UUID(KOILLISMAA)), "esihenkilo": ("supervisor", None)}
PEOPLE = ["admin", "kotas", "ohjaaja", "ohjaaja_k", "esihenkilo", "paiva"]
COUNSELLORS = {"ohjaaja", "ohjaaja_k", "esihenkilo"}


async def add_users(db, settings) -> None:
    password = hash_password(DEMO_PASSWORD, hasher(settings.argon2_time_cost, settings.argon2_memory_kib))
    for username, (role, area) in EXTRA.items():
        db.add(
            User(
                id=demo_id("user", username),
                username=username,
                display_name=username,
                password_hash=password,
                roles=[RoleAssignment(role=role, area_id=area)],
            )
        )
    await db.commit()


async def test_endpoint_and_mutation_matrix(client, db, demo):
    await add_users(db, demo)
    laptop = await replica(client, "ohjaaja")
    named = contact_args(client_id=DAY_CLIENT, caller_type="client")
    assert await push_one(laptop, "contact.record", named) is None
    event = event_args()
    assert await push_one(laptop, "event.record", event) is None
    headers = {p: bearer((await sign_in(client, p))["access_token"]) for p in PEOPLE} | {"anonymous": {}}

    def expect(allowed: set[str]) -> dict[str, int]:
        return {p: 200 if p in allowed else 403 for p in PEOPLE} | {"anonymous": 401}

    stats = "/api/guidance/statistics/"
    endpoints = [
        (stats + "contacts", {}, expect(COUNSELLORS | {"admin"})),
        (stats + "first-contact", {}, expect(COUNSELLORS | {"admin"})),
        (stats + "events", {}, expect(COUNSELLORS | {"admin"})),
        (stats + "contacts", {"area_id": KOILLISMAA}, expect({"ohjaaja_k", "esihenkilo", "admin"})),
        ("/api/contacts", {}, expect(COUNSELLORS)),
        ("/api/contacts", {"area_id": OULU}, expect({"ohjaaja", "esihenkilo"})),
        (f"/api/contacts/{named['contact_id']}", {}, expect({"ohjaaja", "esihenkilo"})),
        ("/api/events", {"area_id": OULU}, expect({"ohjaaja", "esihenkilo"})),
        (f"/api/events/{event['event_id']}", {}, expect({"ohjaaja", "esihenkilo"})),
    ]
    mismatches = []
    for path, params, expected in endpoints:
        for who, status in expected.items():
            response = await client.get(path, params=params, headers=headers[who])
            if response.status_code != status:
                mismatches.append((path, params, who, status, response.status_code))
    assert mismatches == []

    # A counsellor of one area sees only the region's and their own area's statistics rows.
    rows = (await client.get(stats + "contacts", headers=headers["ohjaaja_k"])).json()["rows"]
    assert {r["area_id"] for r in rows} == {None, KOILLISMAA}

    # Mutations: only counsellors holding the record's area.
    replicas = {p: await replica(client, p) for p in PEOPLE}
    for who, sync in replicas.items():
        allowed = who in {"ohjaaja", "esihenkilo"}
        attempts = [
            ("contact.record", contact_args()),
            ("contact.link_client", {"contact_id": named["contact_id"], "client_id": DAY_CLIENT}),
            ("event.record", event_args()),
            ("event.update", {"event_id": event["event_id"], "changes": {"note": f"by {who}"}}),
            ("event.add_participant", {"event_id": event["event_id"], "client_id": DAY_CLIENT}),
            ("event.remove_participant", {"event_id": event["event_id"], "client_id": DAY_CLIENT}),
        ]
        for name, args in attempts:
            outcome = await push_one(sync, name, args)
            got = "applied" if outcome is None else outcome.code
            assert got == ("applied" if allowed else "forbidden"), (who, name, outcome)


async def test_every_read_of_a_named_contact_is_logged(client, db):
    laptop = await replica(client, "ohjaaja")
    named = [contact_args(client_id=DAY_CLIENT, caller_type="client") for _ in range(3)]
    for args in [*named, contact_args()]:
        assert await push_one(laptop, "contact.record", args) is None
    db = await fresh(db)
    before = await db.scalar(select(func.count()).select_from(AccessLogEntry))
    token = bearer((await sign_in(client, "ohjaaja"))["access_token"])
    # The area also holds the demo county's year of contacts: list this client's.
    listed = await client.get(
        "/api/contacts", params={"area_id": OULU, "client_id": DAY_CLIENT}, headers=token
    )
    assert {c["id"] for c in listed.json()["contacts"]} == {a["contact_id"] for a in named}
    one = await client.get(f"/api/contacts/{named[0]['contact_id']}", headers=token)
    assert one.status_code == 200
    db = await fresh(db)
    reads = (
        (
            await db.execute(
                select(AccessLogEntry).where(AccessLogEntry.id > before).order_by(AccessLogEntry.id)
            )
        )
        .scalars()
        .all()
    )
    assert [(e.operation, str(e.client_id), e.basis) for e in reads] == [
        ("read", DAY_CLIENT, f"guidance:area:{OULU}")
    ] * 4
    assert {e.record_id for e in reads} == {a["contact_id"] for a in named}


async def test_contacts_recorded_offline_arrive_exactly_once(client, db):
    credentials = await login(client, "ohjaaja", "demo")
    store = MemoryStore()
    laptop = Replica(store, credentials, http=client)
    await laptop.pull()
    recorded = [contact_args(occurred_at=f"2026-11-2{n}T09:00:00+02:00") for n in range(6)]
    for args in recorded:  # no network: only the outbox
        await laptop.mutate("contact.record", args)
    assert laptop.health().outbox_depth == 6
    first = await laptop.push()
    assert first.applied == 6
    # The app restarts over the same store before it pulled: the outbox is pushed again, harmlessly.
    restarted = Replica(store, credentials, http=client)
    await restarted.push()
    await restarted.pull()
    await restarted.push()
    assert restarted.health().outbox_depth == 0
    db = await fresh(db)
    ids = [uuid.UUID(a["contact_id"]) for a in recorded]
    assert await db.scalar(select(func.count()).select_from(Contact).where(Contact.id.in_(ids))) == 6
    changes = (
        select(func.count())
        .select_from(Change)
        .where(Change.record_type == "contact", Change.record_id.in_([str(i) for i in ids]))
    )
    assert await db.scalar(changes) == 6
    assert {restarted.view.get("contact", str(i)).data["month"] for i in ids} == {"2026-11"}
