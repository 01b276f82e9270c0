"""Who is in care on a day (`GET /api/places/in-care`): the figures equal a plain count from the raw rows
(on the demo data and after bookings, absences, moves in and out), arrivals and departures are flagged,
the authorisation matrix (unit staff: their units by name; coordinators, admins: counts only), and every
client shown by name is in the access log — a failing log write fails the read. Runs on both backends."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

import server.access_log.service
from server.access_log.models import AccessLogEntry
from server.access_log.service import verify
from server.clients.models import Client
from server.clock import today_in_finland
from server.places.capacity import free_places_id
from server.places.models import Residency, ResidencyAbsence, Stay
from server.queue.models import Offer
from server.reference.models import Unit
from server.sync.models import SyncRecord
from tests.api.test_devices import enrol_tablet
from tests.conftest import bearer, sign_in
from tests.day_activity.helpers import DA
from tests.places.helpers import H24, STC, day, other_client, recompute, replica
from tests.places.test_authorisation_matrix import H24_1, add_users, tablet_login
from tests.places.test_lock_order import move_args, resident
from tests.places.test_mutations import book, outcome
from tests.sync.domain_helpers import fresh

PATH = "/api/places/in-care"
FIGURES = ("in_care", "absent", "arriving", "leaving", "capacity", "held", "free")


async def expected(db, d: date) -> dict[str, dict[str, Any]]:
    """{unit id: figures and client sets} for every 24h-housing and short-term-care unit, from the raw rows."""
    await fresh(db)
    # plain rows (not ORM objects): `recompute` rolls the session back, which would expire objects
    kinds = ["housing_24h", "short_term_care"]
    units = (await db.execute(select(*Unit.__table__.c).where(Unit.kind.in_(kinds)))).all()
    residencies = (await db.execute(select(*Residency.__table__.c))).all()
    absences = (await db.execute(select(*ResidencyAbsence.__table__.c))).all()
    stays = (await db.execute(select(*Stay.__table__.c).where(Stay.status == "booked"))).all()
    offers = (await db.execute(select(*Offer.__table__.c).where(Offer.status == "open"))).all()
    found = {}
    for unit in units:
        present, away, arriving, leaving = set(), {}, set(), set()
        for r in residencies:
            if r.unit_id == unit.id and r.move_in <= d and (r.move_out is None or d <= r.move_out):
                covering = [a for a in absences if a.residency_id == r.id and a.start_date <= d <= a.end_date]
                if covering:
                    a = min(covering, key=lambda a: a.start_date)
                    away[str(r.client_id)] = (a.reason, a.start_date.isoformat(), a.end_date.isoformat())
                    continue
                present.add(str(r.client_id))
                if r.move_in == d:
                    arriving.add(str(r.client_id))
                if r.move_out == d:
                    leaving.add(str(r.client_id))
        for s in stays:
            if s.unit_id == unit.id and s.start_date <= d <= s.end_date:
                present.add(str(s.client_id))
                if s.start_date == d:
                    arriving.add(str(s.client_id))
                if s.end_date == d:
                    leaving.add(str(s.client_id))
        held = sum(
            1
            for o in offers
            if o.unit_id == unit.id and o.start_date <= d and (o.end_date is None or d <= o.end_date)
        )
        capacity, occupied = (await recompute(db, unit.id, [d]))[d.isoformat()]
        assert occupied == len(present), "the plain recount of the place rules agrees on who takes a place"
        found[str(unit.id)] = {
            "in_care": len(present),
            "absent": len(away),
            "arriving": len(arriving),
            "leaving": len(leaving),
            "capacity": capacity,
            "held": held,
            "free": capacity - len(present) - held,
            "area_id": str(unit.area_id),
            "present": present,
            "away": away,
            "arrivals": arriving,
            "departures": leaving,
        }
    return found


def units_of(report: dict) -> dict[str, dict]:
    return {u["unit_id"]: u for a in report["areas"] for u in a["units"]}


def assert_figures(report: dict, want: dict[str, dict[str, Any]]) -> None:
    got = units_of(report)
    assert {k: {f: got[k]["totals"][f] for f in FIGURES} for k in got} == {
        k: {f: w[f] for f in FIGURES} for k, w in want.items() if k in got
    }
    for area in report["areas"]:
        members = [want[u["unit_id"]] for u in area["units"]]
        assert all(w["area_id"] == area["area_id"] for w in members)
        assert area["totals"] == {f: sum(w[f] for w in members) for f in FIGURES}
    assert report["totals"] == {f: sum(a["totals"][f] for a in report["areas"]) for f in FIGURES}


def assert_clients(unit: dict, want: dict[str, Any]) -> None:
    assert {c["client_id"] for c in unit["clients"]} == want["present"]
    assert {c["client_id"]: (c["absence"]["reason"], c["absence"]["start_date"], c["absence"]["end_date"])
            for c in unit["absent"]} == want["away"]  # fmt: skip
    assert {c["client_id"] for c in unit["clients"] if c["arriving"]} == want["arrivals"]
    assert {c["client_id"] for c in unit["clients"] if c["leaving"]} == want["departures"]
    assert all(c["first_name"] and c["last_name"] for c in unit["clients"] + unit["absent"])


async def token(client, username: str) -> dict[str, str]:
    return bearer((await sign_in(client, username))["access_token"])


async def test_demo_figures_equal_the_raw_rows_and_the_published_free_places(client, db):
    kotas = await token(client, "kotas")
    response = await client.get(PATH, headers=kotas)
    assert response.status_code == 200, response.text
    report = response.json()
    today = today_in_finland()
    assert report["date"] == today.isoformat(), "today in Finland by default"
    want = await expected(db, today)
    assert set(units_of(report)) == set(want), "every 24h-housing and short-term-care unit, no other"
    assert_figures(report, want)
    assert report["totals"]["in_care"] > 0 and report["totals"]["absent"] > 0, "the demo has both"
    await fresh(db)
    offer = (await db.execute(select(Offer).where(Offer.status == "open").limit(1))).scalar_one()
    held_day = max(offer.start_date, today)
    on_offer = (await client.get(PATH, params={"date": held_day.isoformat()}, headers=kotas)).json()
    assert units_of(on_offer)[str(offer.unit_id)]["totals"]["held"] >= 1, "an open offer holds its place"
    assert_figures(on_offer, await expected(db, held_day))
    assert all(u["clients"] is None and u["absent"] is None for u in units_of(report).values())
    await fresh(db)
    for unit_id, unit in units_of(report).items():
        record = (
            await db.execute(
                select(SyncRecord).where(
                    SyncRecord.record_type == "free_places",
                    SyncRecord.record_id == str(free_places_id(uuid.UUID(unit_id), today)),
                )
            )
        ).scalar_one()
        assert record.data["free"] == unit["totals"]["free"], unit["code"]
        assert record.data["capacity"] == unit["totals"]["capacity"], unit["code"]

    area = report["areas"][0]["area_id"]
    one_area = (await client.get(PATH, params={"area_id": area}, headers=kotas)).json()
    assert [a["area_id"] for a in one_area["areas"]] == [area]
    assert one_area["totals"] == report["areas"][0]["totals"]
    stc_only = (await client.get(PATH, params={"kind": "short_term_care"}, headers=kotas)).json()
    assert {u["kind"] for u in units_of(stc_only).values()} == {"short_term_care"}
    bad = await client.get(PATH, params={"kind": "day_activity"}, headers=kotas)
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_args")
    roster = await client.get(PATH, params={"unit_id": str(DA)}, headers=kotas)
    assert (roster.status_code, roster.json()["code"]) == (400, "invalid_args")


async def test_after_bookings_absences_and_moves(client, db, demo):
    await add_users(db, demo)
    kotas = await replica(client, "kotas")
    first, stay_client = day(3), other_client(7)
    mutations = [
        await book(kotas, stay_client, first, day(5)),  # arrives day 3, leaves day 5
        await book(kotas, other_client(8), day(5), day(5)),  # arrives and leaves day 5
        await kotas.mutate(
            "residency.absence",
            {
                "absence_id": str(uuid.uuid4()),
                "residency_id": resident("oulu-h24-1", 1),
                "start_date": day(4),
                "end_date": day(6),
                "reason": "home_leave",
            },
        ),
        await kotas.mutate(
            "residency.move_out", {"residency_id": resident("oulu-h24-1", 2), "move_out": day(5)}
        ),
        await kotas.mutate("residency.move", move_args(resident("oulu-h24-1", 0), H24, day(5))),
        await kotas.mutate(
            "residency.move_in",
            {
                "residency_id": str(uuid.uuid4()),
                "client_id": other_client(9),
                "unit_id": str(H24_1),
                "move_in": day(5),
            },
        ),
    ]
    await kotas.sync()
    assert [outcome(kotas, m) for m in mutations] == [None] * len(mutations), kotas.outcomes()

    coordinator, hoiva, h24staff = [await token(client, u) for u in ("kotas", "hoiva", "h24staff")]
    for offset in range(2, 8):
        d = today_in_finland() + timedelta(days=offset)
        want = await expected(db, d)
        report = (await client.get(PATH, params={"date": d.isoformat()}, headers=coordinator)).json()
        assert report["date"] == d.isoformat()
        assert_figures(report, want)
        for headers, unit_id in ((hoiva, STC), (h24staff, H24_1)):
            mine = (await client.get(PATH, params={"date": d.isoformat()}, headers=headers)).json()
            assert set(units_of(mine)) == {str(unit_id)}, "unit staff see their own unit only"
            assert_figures(mine, want)
            assert_clients(units_of(mine)[str(unit_id)], want[str(unit_id)])

    def at(offset: int, headers: dict, unit_id: uuid.UUID) -> Any:
        return client.get(PATH, params={"date": day(offset), "unit_id": str(unit_id)}, headers=headers)

    stc3 = units_of((await at(3, hoiva, STC)).json())[str(STC)]
    assert {c["client_id"]: (c["arriving"], c["leaving"]) for c in stc3["clients"]}[stay_client] == (
        True,
        False,
    )
    stc5 = {c["client_id"]: c for c in units_of((await at(5, hoiva, STC)).json())[str(STC)]["clients"]}
    assert (stc5[stay_client]["arriving"], stc5[stay_client]["leaving"]) == (False, True)
    assert (stc5[other_client(8)]["arriving"], stc5[other_client(8)]["leaving"]) == (True, True)
    assert stc5[stay_client]["placement"] == "stay" and stc5[stay_client]["start_date"] == first

    h24_4 = units_of((await at(4, h24staff, H24_1)).json())[str(H24_1)]
    moved = str((await db.get(Residency, uuid.UUID(resident("oulu-h24-1", 0)))).client_id)
    assert {c["client_id"]: c["leaving"] for c in h24_4["clients"]}[moved] is True, "moves the next day"
    (away,) = [c for c in h24_4["absent"] if c["placement_id"] == resident("oulu-h24-1", 1)]
    assert away["absence"] == {"reason": "home_leave", "start_date": day(4), "end_date": day(6)}
    assert away["client_id"] not in {c["client_id"] for c in h24_4["clients"]}
    h24_5 = units_of((await at(5, h24staff, H24_1)).json())[str(H24_1)]
    assert moved not in {c["client_id"] for c in h24_5["clients"]}
    assert {c["client_id"]: c["arriving"] for c in h24_5["clients"]}[other_client(9)] is True
    assert {c["placement_id"]: c["leaving"] for c in h24_5["clients"]}[resident("oulu-h24-1", 2)] is True


# --- authorisation -----------------------------------------------------------------------------------------

COUNTS = "counts"  # 200, every unit's figures, no client
OWN = "own"  # 200, the caller's units, with clients


async def test_authorisation_matrix(client, db, demo):
    await add_users(db, demo)
    admin = (await sign_in(client, "admin"))["access_token"]
    da_tablet = (await enrol_tablet(client, admin, str(DA)))["device_credential"]
    stc_tablet = (await enrol_tablet(client, admin, str(STC)))["device_credential"]
    headers = {
        p: await token(client, p)
        for p in ("admin", "kotas", "ohjaaja", "paiva", "hoiva", "h24staff", "monta")
    }
    headers["tablet_da"] = bearer((await tablet_login(client, da_tablet, "monta"))["access_token"])
    headers["tablet_stc"] = bearer((await tablet_login(client, stc_tablet, "monta"))["access_token"])
    headers["kotas_stc"] = bearer((await tablet_login(client, stc_tablet, "kotas"))["access_token"])
    headers["device"], headers["anonymous"] = bearer(da_tablet), {}
    forbidden, anonymous = (403, "forbidden"), (401, "unauthenticated")
    region = {"admin": COUNTS, "kotas": COUNTS}
    # A coordinator signed in on a unit's tablet acts there as nothing: wider roles stay off tablets.
    refused = {
        "ohjaaja": forbidden,
        "paiva": forbidden,
        "tablet_da": forbidden,
        "device": forbidden,
        "kotas_stc": forbidden,
    }
    cases: list[tuple[dict[str, str], dict[str, Any], set[str]]] = [
        (
            {},
            region | refused | {"hoiva": OWN, "h24staff": OWN, "monta": OWN, "tablet_stc": OWN, "anonymous": anonymous},
            {"hoiva": {str(STC)}, "h24staff": {str(H24_1)}, "monta": {str(STC)}, "tablet_stc": {str(STC)}},
        ),
        (
            {"unit_id": str(STC)},
            region | refused | {"hoiva": OWN, "monta": OWN, "tablet_stc": OWN, "h24staff": forbidden, "anonymous": anonymous},
            {},
        ),
        (
            {"unit_id": str(H24_1)},
            region | refused | {"h24staff": OWN, "hoiva": forbidden, "monta": forbidden, "tablet_stc": forbidden,
                                "anonymous": anonymous},
            {},
        ),
        ({"unit_id": str(uuid.uuid4())}, {"hoiva": (404, "not_found"), "kotas": (404, "not_found")}, {}),
    ]  # fmt: skip
    mismatches = []
    for params, expectations, own_units in cases:
        for principal, want in expectations.items():
            response = await client.get(PATH, params=params, headers=headers[principal])
            body = response.json()
            if want in (COUNTS, OWN):
                got = response.status_code
                if got == 200:
                    shown = {u["unit_id"] for u in units_of(body).values() if u["clients"] is not None}
                    named = {u["unit_id"] for u in units_of(body).values()}
                    if want == COUNTS and shown:
                        got = "names shown"
                    if want == OWN and (shown != named or not named):
                        got = f"names {shown} of {named}"
                    if want == OWN and principal in own_units and named != own_units[principal]:
                        got = f"units {named}"
                if got != 200:
                    mismatches.append((params, principal, want, got))
            elif (response.status_code, body.get("code")) != want:
                mismatches.append((params, principal, want, (response.status_code, body.get("code"))))
    assert mismatches == []


# --- the access log ----------------------------------------------------------------------------------------


async def entries(db) -> list[AccessLogEntry]:
    await fresh(db)
    query = select(AccessLogEntry).where(AccessLogEntry.record_type == "in_care").order_by(AccessLogEntry.id)
    return list((await db.execute(query)).scalars())


async def test_every_client_shown_is_logged_with_the_basis_and_counts_are_not(client, db):
    kotas = await replica(client, "kotas")
    await book(kotas, other_client(4), day(2), day(3))
    await kotas.sync()
    hoiva = await token(client, "hoiva")
    report = (await client.get(PATH, params={"date": day(2)}, headers=hoiva)).json()
    unit = units_of(report)[str(STC)]
    shown = {c["client_id"] for c in unit["clients"] + unit["absent"]}
    assert other_client(4) in shown
    logged = await entries(db)
    assert sorted(str(e.client_id) for e in logged) == sorted(shown), "one entry per client"
    assert {(e.username, e.role, e.basis, e.operation, e.record_id) for e in logged} == {
        ("hoiva", "unit_staff", f"service_relationship:unit:{STC}", "read", f"{STC}:{day(2)}")
    }
    names = {
        (c.first_name, c.last_name)
        for c in (
            await db.execute(select(Client).where(Client.id.in_([uuid.UUID(x) for x in shown])))
        ).scalars()
    }
    assert names == {(c["first_name"], c["last_name"]) for c in unit["clients"] + unit["absent"]}

    coordinator = await token(client, "kotas")
    assert (await client.get(PATH, params={"date": day(2)}, headers=coordinator)).status_code == 200
    assert len(await entries(db)) == len(logged), "counts only: nothing to log"
    assert (await verify(db)).ok


@pytest.mark.parametrize("username", ["hoiva", "kotas"])
async def test_a_failed_log_write_fails_the_read(client, db, monkeypatch, username):
    kotas = await replica(client, "kotas")
    await book(kotas, other_client(4), day(0), day(1))
    await kotas.sync()
    headers = await token(client, username)
    assert (await client.get(PATH, headers=headers)).status_code == 200, "it works while the log does"
    count = len(await entries(db))

    async def broken(*args, **kwargs):
        raise OSError("the access log's disk is full")

    monkeypatch.setattr(server.access_log.service, "record", broken)
    response = await client.get(PATH, headers=headers)
    if username == "hoiva":
        assert response.status_code == 500
        assert other_client(4) not in response.text and "first_name" not in response.text
    else:
        assert response.status_code == 200, "counts only: no log write, nothing to fail"
    monkeypatch.undo()
    assert len(await entries(db)) == count


async def test_figures_per_area_do_not_depend_on_units_in_other_areas(client, db):
    """A unit-by-unit check that the grouping is right: each area's units are exactly that area's units."""
    report = (await client.get(PATH, headers=await token(client, "admin"))).json()
    await fresh(db)
    kinds = ["housing_24h", "short_term_care"]
    rows = (await db.execute(select(Unit.id, Unit.area_id).where(Unit.kind.in_(kinds)))).all()
    per_area: dict[str, set[str]] = defaultdict(set)
    for unit_id, area_id in rows:
        per_area[str(area_id)].add(str(unit_id))
    assert {a["area_id"]: {u["unit_id"] for u in a["units"]} for a in report["areas"]} == per_area
