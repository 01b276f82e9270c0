"""conflict.resolve: who may resolve, what each choice writes, and resolving twice."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select

from server.clients.models import Client
from server.conflicts.models import Conflict
from tests.sync.domain_helpers import DAY_CLIENT, DAY_UNIT, fresh, push_one, replica, user_id


async def _contest(client, laptop, phone, client_id: str, first: str, second: str) -> uuid.UUID:
    await phone.pull()
    revision = phone.view.get("client", client_id).data["revision"]
    await push_one(
        laptop,
        "client.update",
        {"client_id": client_id, "changes": {"birth_date": first}},
        base_version=revision,
    )
    outcome = await push_one(
        phone,
        "client.update",
        {"client_id": client_id, "changes": {"birth_date": second}},
        base_version=revision,
    )
    assert outcome.status == "conflict"
    return outcome.conflict_id


async def test_resolve_by_allowed_users_and_not_by_others(client, db):
    paiva = await replica(client, "paiva")
    paiva_too = await replica(client, "paiva")
    conflict_id = await _contest(client, paiva, paiva_too, DAY_CLIENT, "1940-01-01", "1939-12-31")

    hoiva = await replica(client, "hoiva")  # another unit: no basis
    outcome = await push_one(
        hoiva, "conflict.resolve", {"conflict_id": str(conflict_id), "choice": "proposed"}
    )
    assert outcome.status == "rejected" and outcome.code == "forbidden"
    kotas = await replica(client, "kotas")  # coordinators see places, not client records
    outcome = await push_one(kotas, "conflict.resolve", {"conflict_id": str(conflict_id), "choice": "kept"})
    assert outcome.code == "forbidden"
    db = await fresh(db)
    assert (await db.get(Conflict, conflict_id)).status == "open"

    assert (
        await push_one(paiva, "conflict.resolve", {"conflict_id": str(conflict_id), "choice": "proposed"})
        is None
    )
    db = await fresh(db)
    row = await db.get(Conflict, conflict_id)
    assert (row.status, row.resolution, row.resolved_by) == ("resolved", "proposed", user_id("paiva"))
    assert (await db.get(Client, uuid.UUID(DAY_CLIENT))).birth_date == date(1939, 12, 31)
    await paiva.pull()
    assert paiva.view.get("client", DAY_CLIENT).data["birth_date"] == "1939-12-31"
    assert paiva.view.get("conflict", str(conflict_id)).data["status"] == "resolved"

    again = await push_one(paiva_too, "conflict.resolve", {"conflict_id": str(conflict_id), "choice": "kept"})
    assert again.code == "already_resolved"
    unknown = await push_one(paiva, "conflict.resolve", {"conflict_id": str(uuid.uuid4()), "choice": "kept"})
    assert unknown.code == "unknown_entity"


async def test_admin_resolves_with_a_new_value_or_keeps(client, db):
    paiva = await replica(client, "paiva")
    paiva_too = await replica(client, "paiva")
    first = await _contest(client, paiva, paiva_too, DAY_CLIENT, "1940-01-01", "1939-12-31")
    admin = await replica(client, "admin")
    outcome = await push_one(
        admin, "conflict.resolve", {"conflict_id": str(first), "choice": "value", "value": "not a date"}
    )
    assert outcome.code == "invalid_args"
    outcome = await push_one(admin, "conflict.resolve", {"conflict_id": str(first), "choice": "value"})
    assert outcome.code == "invalid_args"
    assert (
        await push_one(
            admin, "conflict.resolve", {"conflict_id": str(first), "choice": "value", "value": "1940-01-02"}
        )
        is None
    )
    db = await fresh(db)
    assert (await db.get(Client, uuid.UUID(DAY_CLIENT))).birth_date == date(1940, 1, 2)

    second = await _contest(client, paiva, paiva_too, DAY_CLIENT, "1940-05-05", "1941-06-06")
    await admin.pull()
    assert admin.view.get("conflict", str(second)) is not None, "admins get every conflict"
    assert await push_one(admin, "conflict.resolve", {"conflict_id": str(second), "choice": "kept"}) is None
    db = await fresh(db)
    assert (await db.get(Client, uuid.UUID(DAY_CLIENT))).birth_date == date(1940, 5, 5)
    rows = (await db.execute(select(Conflict).order_by(Conflict.created_at))).scalars().all()
    assert [(r.resolution, r.resolved_value) for r in rows] == [
        ("value", "1940-01-02"),
        ("kept", "1940-05-05"),
    ]
    assert DAY_UNIT  # the contested client is served by the day unit
