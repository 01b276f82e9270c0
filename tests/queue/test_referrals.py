"""`referral.create` through the reference client: who may refer, code checks, records and access log."""

from __future__ import annotations

from sqlalchemy import select

from server.access_log.models import AccessLogEntry
from tests.places.helpers import other_client, replica
from tests.queue.helpers import OULU, outcome, refer


async def test_counsellor_refers_and_both_see_the_queue_entry(client, db):
    ohjaaja, kotas = await replica(client, "ohjaaja"), await replica(client, "kotas")
    pending, entry_id = await refer(ohjaaja, other_client(0), days_ago=5, maple=4, cps=2, adl_h=3)
    report = await ohjaaja.sync()
    assert report.push.applied == 1, ohjaaja.outcomes()
    referral = ohjaaja.view.get("referral", pending.args["referral_id"])
    assert referral.data["maple"] == 4 and referral.data["status"] == "open"
    entry = ohjaaja.view.get("queue_entry", entry_id)
    assert entry.data["status"] == "waiting" and entry.data["rank"] == 1
    assert entry.data["reasons"] == ["MAPLe 4", "waiting 5 days"]
    await kotas.pull()
    assert kotas.view.get("queue_entry", entry_id).data["area_id"] == str(OULU)

    # a coordinator may refer too; the urgent referral goes first
    _, urgent_id = await refer(kotas, other_client(1), urgency="urgent")
    assert (await kotas.sync()).push.applied == 1
    assert kotas.view.get("queue_entry", urgent_id).data["rank"] == 1
    assert kotas.view.get("queue_entry", entry_id).data["rank"] == 2

    logged = (
        (await db.execute(select(AccessLogEntry).where(AccessLogEntry.record_type == "referral")))
        .scalars()
        .all()
    )
    assert sorted(e.basis for e in logged) == ["coordinator:placement", f"guidance:area:{OULU}"]


async def test_unit_staff_forbidden_and_codes_checked(client):
    hoiva, ohjaaja = await replica(client, "hoiva"), await replica(client, "ohjaaja")
    forbidden, _ = await refer(hoiva, other_client(0))
    await hoiva.sync()
    assert outcome(hoiva, forbidden).code == "forbidden"

    bad_kind, _ = await refer(ohjaaja, other_client(0), service_kind="spa")
    bad_urgency, _ = await refer(ohjaaja, other_client(0), urgency="yesterday")
    bad_source, _ = await refer(ohjaaja, other_client(0), source="rumour")
    bad_maple, _ = await refer(ohjaaja, other_client(0), maple=6)
    report = await ohjaaja.sync()
    assert report.push.applied == 0
    assert outcome(ohjaaja, bad_kind).code == "invalid_code"
    assert outcome(ohjaaja, bad_urgency).code == "invalid_code"
    assert outcome(ohjaaja, bad_source).code == "invalid_code"
    assert outcome(ohjaaja, bad_maple).code == "invalid_args"
