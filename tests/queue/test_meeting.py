"""The SAS meeting view (`GET /api/queue/meeting`): new entries, changed situations, longest waiting,
every entry shown in the access log, coordinators only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from server.access_log.models import AccessLogEntry
from server.clock import today_in_finland
from server.queue.models import QueueEntry, Referral
from server.queue.sync import queue_scopes, referral_data
from server.sync.changes import ChangeSet
from server.sync.models import Change
from tests.conftest import bearer, sign_in
from tests.places.helpers import other_client, replica
from tests.queue.helpers import OULU, offer, refer, without_demo_queue

URL = "/api/queue/meeting"


async def backdate(db, entry_id: str, days: int) -> None:
    """Make a referral look recorded `days` ago, as if it came before the last meeting."""
    entry = await db.get(QueueEntry, uuid.UUID(entry_id))
    at = datetime.now(UTC) - timedelta(days=days)
    await db.execute(update(Referral).where(Referral.id == entry.referral_id).values(created_at=at))
    await db.execute(
        update(Change).where(Change.record_id.in_([str(entry.referral_id), entry_id])).values(at=at)
    )


async def change_situation(db, entry_id: str, **fields) -> None:
    """What a referral update writes: the new state, and the full record into the change log."""
    entry = await db.get(QueueEntry, uuid.UUID(entry_id))
    referral = await db.get(Referral, entry.referral_id)
    for name, value in fields.items():
        setattr(referral, name, value)
    changes = ChangeSet()
    changes.put("referral", referral.id, referral_data(referral), queue_scopes(referral.area_id))
    await changes.flush(db)
    await db.commit()


async def test_meeting_lists_new_changed_and_longest_waiting_and_logs_each_entry(client, db):
    await without_demo_queue(db)
    ohjaaja = await replica(client, "ohjaaja")
    entries = {}
    for name, n, days_ago, extra in [
        ("a", 0, 40, {"maple": 3}),
        ("b", 1, 30, {}),
        ("c", 2, 20, {"service_kind": "housing_24h"}),
        ("d", 3, 2, {}),
        ("e", 4, 60, {}),
        ("f", 5, 50, {}),  # received 50 days ago but recorded only now (a late sync): new
    ]:
        _, entries[name] = await refer(ohjaaja, other_client(n), days_ago=days_ago, **extra)
    assert (await ohjaaja.sync()).push.applied == 6
    for name, days in [("a", 40), ("b", 30), ("c", 20), ("e", 60)]:
        await backdate(db, entries[name], days)
    await db.commit()
    await change_situation(db, entries["a"], urgency="urgent", maple=5)
    await change_situation(db, entries["e"], maple=4)
    await change_situation(db, entries["e"], maple=None)  # and back: nothing changed since the meeting

    kotas = await replica(client, "kotas")
    await kotas.sync()
    made = await offer(kotas, entries["b"], 40, 46)
    await kotas.mutate("placement.decline", {"offer_id": made.args["offer_id"]})
    assert (await kotas.sync()).push.applied == 2

    await db.rollback()
    last_logged = (await db.execute(select(func.max(AccessLogEntry.id)))).scalar() or 0
    headers = bearer((await sign_in(client, "kotas"))["access_token"])
    response = await client.get(URL, params={"limit": 3}, headers=headers)
    assert response.status_code == 200, response.text
    view = response.json()
    assert view["since"] == str(today_in_finland() - timedelta(days=14))
    ids = {e: name for name, e in entries.items()}

    assert sorted(ids[e["queue_entry_id"]] for e in view["new"]) == ["d", "f"]
    changed = {ids[e["queue_entry_id"]]: e for e in view["changed"]}
    assert set(changed) == {"a", "b"}
    assert {(c["field"], c["before"], c["after"]) for c in changed["a"]["changes"]} == {
        ("urgency", "normal", "urgent"),
        ("maple", 3, 5),
    }
    assert changed["a"]["changed_at"] is not None and changed["a"]["urgency"] == "urgent"
    assert changed["b"]["events"] == ["offer_declined"] and changed["b"]["changes"] == []
    assert [ids[e["queue_entry_id"]] for e in view["longest_waiting"]] == ["e", "f", "a"]
    assert [e["days_waiting"] for e in view["longest_waiting"]] == [60, 50, 40]
    first = view["longest_waiting"][0]
    assert len(first["initials"]) == 2 and "first_name" not in first and first["rank"] >= 1

    await db.rollback()
    logged = (await db.execute(select(AccessLogEntry).where(AccessLogEntry.id > last_logged))).scalars().all()
    assert sorted(e.record_id for e in logged) == sorted(entries[n] for n in "abdef")
    assert {(e.username, e.basis, e.record_type, e.operation) for e in logged} == {
        ("kotas", "coordinator:placement", "queue_entry", "read")
    }
    assert {str(e.client_id) for e in logged} == {other_client(n) for n in (0, 1, 3, 4, 5)}

    housing = (await client.get(URL, params={"service_kind": "housing_24h"}, headers=headers)).json()
    assert [ids[e["queue_entry_id"]] for e in housing["longest_waiting"]] == ["c"]
    assert housing["new"] == [] and housing["changed"] == []
    earlier = (
        await client.get(URL, params={"since": str(today_in_finland() - timedelta(days=45))}, headers=headers)
    ).json()
    assert sorted(ids[e["queue_entry_id"]] for e in earlier["new"]) == ["a", "b", "c", "d", "f"]
    oulu = (await client.get(URL, params={"area_id": str(OULU), "limit": 100}, headers=headers)).json()
    assert len(oulu["longest_waiting"]) == 6


async def test_meeting_is_for_coordinators_only(client):
    assert (await client.get(URL)).status_code == 401
    for username in ("admin", "ohjaaja", "hoiva", "paiva"):
        headers = bearer((await sign_in(client, username))["access_token"])
        assert (await client.get(URL, headers=headers)).status_code == 403, username
    headers = bearer((await sign_in(client, "kotas"))["access_token"])
    assert (await client.get(URL, headers=headers)).status_code == 200
    future = str(today_in_finland() + timedelta(days=1))
    assert (await client.get(URL, params={"since": future}, headers=headers)).status_code == 400
    assert (await client.get(URL, params={"limit": 0}, headers=headers)).status_code == 400
