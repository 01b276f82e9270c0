"""Places mutations end to end through the reference client, as `hoiva` (unit staff of oulu-stc-1, 4 places)
and `kotas` (coordinator): bookings, cancellations, date changes, full units, residencies, capacity changes,
and the `free_places` records every replica receives, checked against an independent recomputation."""

from __future__ import annotations

import uuid
from datetime import date

from server.places.capacity import free_places_id
from tests.places.helpers import (
    H24,
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


def outcome(sync, mutation):
    return next((o for o in sync.outcomes() if o.id == mutation.id), None)


async def book(sync, client_id, start, end, unit=STC):
    return await sync.mutate(
        "stay.book",
        {
            "stay_id": str(uuid.uuid4()),
            "client_id": client_id,
            "unit_id": str(unit),
            "start_date": start,
            "end_date": end,
        },
    )


async def test_book_change_cancel_and_free_places_follow(client, db):
    hoiva = await replica(client, "hoiva")
    await hoiva.pull()
    assert len(published(hoiva, STC)) == 61, "the unit's free places for today and 60 days ahead"
    assert {r.data["status"] for r in hoiva.view.records("stay")} == {"booked"}  # the demo bookings

    stay = await book(hoiva, STC_CLIENTS[0], day(20), day(22))
    report = await hoiva.sync()
    assert report.push.applied == 1 and report.pull.mismatched == []
    stay_id = stay.args["stay_id"]
    record = hoiva.view.get("stay", stay_id)
    assert record is not None and record.data["care_days"] == 3
    places = hoiva.view.get("free_places", str(free_places_id(STC, date.fromisoformat(day(21)))))
    assert places.data == {"unit_id": str(STC), "date": day(21), "capacity": 4, "occupied": 1, "free": 3}

    await hoiva.mutate("stay.change_dates", {"stay_id": stay_id, "start_date": day(21), "end_date": day(25)})
    await hoiva.sync()
    assert published(hoiva, STC)[day(20)] == (4, 0) and published(hoiva, STC)[day(25)] == (4, 1)

    await hoiva.mutate("stay.cancel", {"stay_id": stay_id})
    await hoiva.sync()
    assert hoiva.view.get("stay", stay_id).data["status"] == "cancelled"
    assert published(hoiva, STC)[day(23)] == (4, 0)
    assert published(hoiva, STC) == await recompute(db, STC, window())


async def test_full_unit_rejects_with_alternatives_and_capacity_changes(client, db):
    hoiva, kotas = await replica(client, "hoiva"), await replica(client, "kotas")
    for n in range(4):
        await book(hoiva, STC_CLIENTS[n % 2], day(30), day(31))
    late = await book(hoiva, STC_CLIENTS[0], day(31), day(33))
    report = await hoiva.sync()
    assert report.push.applied == 4 and report.push.rejected == 1
    rejected = outcome(hoiva, late)
    assert rejected.code == "capacity_exhausted"
    assert rejected.details["dates"] == [day(31)]
    alternatives = {a["unit_id"] for a in rejected.details["alternatives"]}
    assert str(STC_2) in alternatives and str(STC) not in alternatives
    assert published(hoiva, STC)[day(31)] == (4, 4)

    # Unit staff cannot change capacity; a coordinator can, but not below the places already taken.
    cut = {"unit_id": str(STC), "places": -1, "reason": "Huone suljettu", "mode": "delta"}
    denied = await hoiva.mutate(
        "capacity.change", {**cut, "change_id": str(uuid.uuid4()), "start_date": day(40), "end_date": day(41)}
    )
    in_use = await kotas.mutate(
        "capacity.change", {**cut, "change_id": str(uuid.uuid4()), "start_date": day(31), "end_date": day(31)}
    )
    await kotas.mutate(
        "capacity.change", {**cut, "change_id": str(uuid.uuid4()), "start_date": day(40), "end_date": day(44)}
    )
    await kotas.mutate(
        "capacity.change",
        {
            **cut,
            "mode": "absolute",
            "places": 1,
            "change_id": str(uuid.uuid4()),
            "start_date": day(42),
            "end_date": day(42),
        },
    )
    await hoiva.sync()
    await kotas.sync()
    assert outcome(hoiva, denied).code == "forbidden"
    assert outcome(kotas, in_use).code == "capacity_in_use"
    assert published(kotas, STC)[day(40)] == (3, 0) and published(kotas, STC)[day(42)] == (0, 0)
    two = await book(kotas, STC_CLIENTS[1], day(41), day(42))
    await kotas.sync()
    assert outcome(kotas, two).code == "capacity_exhausted" and outcome(kotas, two).details["dates"] == [
        day(42)
    ]
    await hoiva.pull()
    assert published(hoiva, STC) == published(kotas, STC) == await recompute(db, STC, window())


async def test_residencies_move_in_out_and_absences(client, db):
    kotas = await replica(client, "kotas")
    await kotas.pull()
    assert published(kotas, H24)[day(0)] == (15, 13)
    moves = [
        await kotas.mutate(
            "residency.move_in",
            {
                "residency_id": str(uuid.uuid4()),
                "client_id": other_client(n),
                "unit_id": str(H24),
                "move_in": day(n),
            },
        )
        for n in range(3)
    ]
    await kotas.sync()
    assert [outcome(kotas, m) for m in moves[:2]] == [None, None]
    full = outcome(kotas, moves[2])
    assert full.code == "capacity_exhausted" and full.details["alternatives"]
    assert published(kotas, H24)[day(1)] == (15, 15)
    first = moves[0].args["residency_id"]

    # An absence frees the place on its days; a stay cannot be booked in a 24h unit.
    await kotas.mutate(
        "residency.absence",
        {
            "absence_id": str(uuid.uuid4()),
            "residency_id": first,
            "start_date": day(5),
            "end_date": day(9),
            "reason": "hospital",
        },
    )
    wrong_kind = await book(kotas, other_client(5), day(5), day(6), unit=H24)
    await kotas.sync()
    assert published(kotas, H24)[day(5)] == (15, 14) and published(kotas, H24)[day(10)] == (15, 15)
    assert outcome(kotas, wrong_kind).code == "invalid_unit_kind"
    assert kotas.view.get("residency", first).data["absences"][0]["reason"] == "hospital"

    # Moving out frees the place after the last day; then someone else can move in.
    await kotas.mutate("residency.move_out", {"residency_id": first, "move_out": day(20)})
    again = await kotas.mutate(
        "residency.move_in",
        {
            "residency_id": str(uuid.uuid4()),
            "client_id": other_client(2),
            "unit_id": str(H24),
            "move_in": day(21),
        },
    )
    await kotas.sync()
    assert outcome(kotas, again) is None
    assert published(kotas, H24)[day(20)] == (15, 15) and published(kotas, H24)[day(21)] == (15, 15)
    assert published(kotas, H24) == await recompute(db, H24, window())
