"""The Kotas board (`GET /api/places/board`) and the queue (`GET /api/queue`) for coordinators."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from server.access_log.models import AccessLogEntry
from server.clock import today_in_finland
from server.reference.models import reference_id
from tests.conftest import bearer, sign_in
from tests.places.helpers import STC, other_client, replica
from tests.queue.helpers import OULU, offer, refer


async def test_board_sorted_filtered_and_forbidden_for_unit_staff(client):
    token = (await sign_in(client, "kotas"))["access_token"]
    start, end = today_in_finland() + timedelta(days=1), today_in_finland() + timedelta(days=7)
    response = await client.get(
        "/api/places/board",
        params={
            "area_id": str(OULU),
            "kind": "short_term_care",
            "from": start.isoformat(),
            "to": end.isoformat(),
        },
        headers=bearer(token),
    )
    assert response.status_code == 200, response.text
    units = response.json()
    assert units and {u["kind"] for u in units} == {"short_term_care"}
    assert {u["area_id"] for u in units} == {str(OULU)}
    totals = [u["total_free"] for u in units]
    assert totals == sorted(totals, reverse=True)
    for unit in units:
        assert [d["date"] for d in unit["days"]] == [
            (start + timedelta(days=n)).isoformat() for n in range(7)
        ]
        assert unit["total_free"] == sum(d["free"] for d in unit["days"])
        assert "clients" not in unit
    everything = await client.get("/api/places/board", headers=bearer(token))
    assert everything.status_code == 200 and len(everything.json()) > len(units)

    too_long = await client.get(
        "/api/places/board",
        params={"from": start.isoformat(), "to": (start + timedelta(days=61)).isoformat()},
        headers=bearer(token),
    )
    assert too_long.status_code == 400
    admin = (await sign_in(client, "admin"))["access_token"]
    assert (await client.get("/api/places/board", headers=bearer(admin))).status_code == 200
    hoiva = (await sign_in(client, "hoiva"))["access_token"]
    assert (await client.get("/api/places/board", headers=bearer(hoiva))).status_code == 403


async def test_board_shows_the_held_place(client):
    kotas = await replica(client, "kotas")
    _, entry_id = await refer(kotas, other_client(0))
    await kotas.sync()
    token = (await sign_in(client, "kotas"))["access_token"]
    params = {
        "from": (today_in_finland() + timedelta(days=40)).isoformat(),
        "to": (today_in_finland() + timedelta(days=40)).isoformat(),
    }

    def free(units):
        return next(u for u in units if u["unit_id"] == str(STC))["days"][0]["free"]

    before = free((await client.get("/api/places/board", params=params, headers=bearer(token))).json())
    await offer(kotas, entry_id, 40, 41)
    assert (await kotas.sync()).push.applied == 1
    after = free((await client.get("/api/places/board", params=params, headers=bearer(token))).json())
    assert after == before - 1


async def test_queue_in_rank_order_with_reasons_and_access_log(client, db):
    ohjaaja = await replica(client, "ohjaaja")
    await refer(ohjaaja, other_client(0), days_ago=30, maple=3)
    await refer(ohjaaja, other_client(1), days_ago=2, maple=5)
    await refer(ohjaaja, other_client(2), days_ago=1, urgency="urgent")
    await refer(ohjaaja, other_client(3), days_ago=3, service_kind="housing_24h")
    assert (await ohjaaja.sync()).push.applied == 4

    token = (await sign_in(client, "kotas"))["access_token"]
    response = await client.get(
        "/api/queue", params={"service_kind": "short_term_care", "area_id": str(OULU)}, headers=bearer(token)
    )
    assert response.status_code == 200, response.text
    entries = response.json()
    assert [e["client_id"] for e in entries] == [other_client(2), other_client(1), other_client(0)]
    assert [e["rank"] for e in entries] == [1, 2, 3]
    assert entries[0]["reasons"] == ["urgent", "waiting 1 day"]
    assert entries[2]["reasons"] == ["MAPLe 3", "waiting 30 days"]
    assert entries[2]["days_waiting"] == 30
    assert set(entries[0]) == {
        "queue_entry_id",
        "referral_id",
        "service_kind",
        "area_id",
        "status",
        "rank",
        "reasons",
        "days_waiting",
        "client_id",
        "initials",
        "age",
        "municipality_id",
        "urgency",
        "maple",
        "cps",
        "adl_h",
    }
    assert len(entries[0]["initials"]) == 2

    await db.rollback()
    logged = (
        (
            await db.execute(
                select(AccessLogEntry).where(
                    AccessLogEntry.basis == "coordinator:placement",
                    AccessLogEntry.record_type == "queue_entry",
                )
            )
        )
        .scalars()
        .all()
    )
    assert sorted(str(e.client_id) for e in logged) == sorted(e["client_id"] for e in entries)
    assert {e.username for e in logged} == {"kotas"}

    # Without filters: every queue, the demo county's waiting clients with these four among them.
    everything = (await client.get("/api/queue", headers=bearer(token))).json()
    mine = {other_client(n) for n in range(4)}
    assert len([e for e in everything if e["client_id"] in mine]) == 4
    assert {e["service_kind"] for e in everything} >= {"short_term_care", "housing_24h"}
    counsellor = (await sign_in(client, "ohjaaja"))["access_token"]
    assert (await client.get("/api/queue", headers=bearer(counsellor))).status_code == 403
    assert reference_id("area", "oulu") == OULU
