"""Regular rotating short-term care (`stay.book_series`, `stay.cancel_series`) on oulu-stc-1 (4 places):
per-period outcomes with alternatives, all-or-nothing, cancelling the rest, the synced `stay_series` record,
free places against an independent recomputation, and concurrent series for the last places."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy import func, select

from server.places.models import Stay, StaySeries, series_stay_id
from tests.places.helpers import (
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
from tests.places.test_mutations import book, outcome


def series_args(first: int, *, period_days=7, every_weeks=2, periods=4, unit=STC, **extra) -> dict:
    return {
        "series_id": str(uuid.uuid4()),
        "client_id": STC_CLIENTS[0],
        "unit_id": str(unit),
        "first_start": day(first),
        "period_days": period_days,
        "every_weeks": every_weeks,
        "periods": periods,
        **extra,
    }


async def fill(sync, start: int, end: int, places: int = 4) -> None:
    """Take `places` places of oulu-stc-1 on day(start)..day(end) with ordinary bookings (by a
    coordinator: the clients are another unit's, whom Lepola's staff may not book)."""
    for n in range(places):
        await book(sync, other_client(n), day(start), day(end))
    assert (await sync.push()).applied == places


async def test_series_books_what_fits_and_refuses_full_periods_with_alternatives(client, db):
    hoiva = await replica(client, "hoiva")
    await fill(await replica(client, "kotas"), 31, 31)
    args = series_args(16)  # periods 16-22, 30-36, 44-50, 58-64
    series = await hoiva.mutate("stay.book_series", args)
    report = await hoiva.sync()
    assert report.push.applied == 1 and outcome(hoiva, series) is None

    record = hoiva.view.get("stay_series", args["series_id"]).data
    assert (record["booked"], record["refused"], record["status"]) == (3, 1, "active")
    statuses = [(p["n"], p["status"], p["start_date"], p["end_date"]) for p in record["period_list"]]
    assert statuses == [
        (0, "booked", day(16), day(22)),
        (1, "refused", day(30), day(36)),
        (2, "booked", day(44), day(50)),
        (3, "booked", day(58), day(64)),
    ]
    refused = record["period_list"][1]
    assert refused["dates"] == [day(31)] and refused["stay_id"] is None
    assert str(STC_2) in {a["unit_id"] for a in refused["alternatives"]}
    stay = hoiva.view.get("stay", str(series_stay_id(args["series_id"], 2))).data
    assert stay["series_id"] == args["series_id"] and stay["care_days"] == 7
    assert published(hoiva, STC)[day(16)] == (4, 1) and published(hoiva, STC)[day(31)] == (4, 4)
    assert published(hoiva, STC) == await recompute(db, STC, window())

    # The same series sent again is a no-op; the same id with other content is `duplicate`.
    again = await hoiva.mutate("stay.book_series", args)
    other = await hoiva.mutate("stay.book_series", {**args, "periods": 2})
    await hoiva.sync()
    assert outcome(hoiva, again) is None and outcome(hoiva, other).code == "duplicate"
    await db.rollback()
    count = select(func.count()).select_from(Stay).where(Stay.series_id == uuid.UUID(args["series_id"]))
    assert (await db.execute(count)).scalar_one() == 3


async def test_cancel_the_rest_of_a_series_and_single_periods(client, db):
    kotas = await replica(client, "kotas")
    args = series_args(14, period_days=5, every_weeks=3, periods=3)  # 14-18, 35-39, 56-60
    await kotas.mutate("stay.book_series", args)
    await kotas.sync()
    assert published(kotas, STC)[day(35)] == (4, 1)

    first = str(series_stay_id(args["series_id"], 0))
    await kotas.mutate("stay.cancel_series", {"series_id": args["series_id"], "from_date": day(20)})
    await kotas.sync()
    record = kotas.view.get("stay_series", args["series_id"]).data
    assert record["status"] == "cancelled" and record["cancelled_from"] == day(20)
    assert [p["status"] for p in record["period_list"]] == ["booked", "cancelled", "cancelled"]
    assert published(kotas, STC)[day(35)] == (4, 0) and published(kotas, STC)[day(14)] == (4, 1)

    # Cancelling again cancels nothing more; a single period is cancelled with `stay.cancel`.
    await kotas.mutate("stay.cancel_series", {"series_id": args["series_id"], "from_date": day(30)})
    await kotas.mutate("stay.cancel", {"stay_id": first})
    await kotas.sync()
    assert not kotas.outcomes()
    record = kotas.view.get("stay_series", args["series_id"]).data
    assert [p["status"] for p in record["period_list"]] == ["cancelled"] * 3
    assert record["cancelled_from"] == day(20)
    assert published(kotas, STC) == await recompute(db, STC, window())


async def test_all_or_nothing_and_nothing_fits_are_rejected_with_the_full_periods(client, db):
    hoiva = await replica(client, "hoiva")
    await fill(await replica(client, "kotas"), 40, 40)
    strict = await hoiva.mutate(
        "stay.book_series", series_args(26, every_weeks=2, periods=3, all_or_nothing=True)
    )
    nothing = await hoiva.mutate("stay.book_series", series_args(40, period_days=1, every_weeks=1, periods=1))
    await hoiva.sync()
    rejected = outcome(hoiva, strict)
    assert rejected.code == "capacity_exhausted" and rejected.details["dates"] == [day(40)]
    assert [p["n"] for p in rejected.details["periods"]] == [1]
    assert str(STC_2) in {a["unit_id"] for a in rejected.details["alternatives"]}
    assert outcome(hoiva, nothing).code == "capacity_exhausted"
    await db.rollback()
    tried = [uuid.UUID(strict.args["series_id"]), uuid.UUID(nothing.args["series_id"])]
    series = select(func.count()).select_from(StaySeries).where(StaySeries.id.in_(tried))
    assert (await db.execute(series)).scalar_one() == 0
    assert published(hoiva, STC)[day(26)] == (4, 0)


async def test_series_arguments_are_checked(client):
    hoiva, paiva = await replica(client, "hoiva"), await replica(client, "paiva")
    overlap = await hoiva.mutate("stay.book_series", series_args(10, period_days=15, every_weeks=2))
    too_long = await hoiva.mutate("stay.book_series", series_args(10, every_weeks=8, periods=8))
    wrong_kind = await hoiva.mutate(
        "stay.book_series", series_args(10, unit=uuid.uuid5(uuid.NAMESPACE_DNS, "x"))
    )
    await hoiva.sync()
    assert outcome(hoiva, overlap).code == "invalid_args"
    assert outcome(hoiva, too_long).code == "invalid_date"
    assert outcome(hoiva, wrong_kind).code == "forbidden"  # not a unit of hers
    elsewhere = await paiva.mutate("stay.book_series", series_args(10))
    await paiva.sync()
    assert outcome(paiva, elsewhere).code == "forbidden"
    unknown = await hoiva.mutate("stay.cancel_series", {"series_id": str(uuid.uuid4())})
    await hoiva.sync()
    assert outcome(hoiva, unknown).code == "unknown_entity"


async def test_concurrent_series_share_the_last_place_of_each_period(client, app, db):
    """Three places taken on every period's days; two coordinators push a series for the same periods at the
    same moment: each period's last place goes to exactly one of them, never to both."""
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kaari.test")
        for _ in range(5)
    ]
    try:
        # `client` runs the app's lifespan; every request goes through plain ASGI transports in this loop
        # (the app's connection pool must not be shared across event loops).
        hoiva = await replica(clients[4], "hoiva")
        kotas = await replica(clients[4], "kotas")
        for start in (21, 35, 49):
            await fill(kotas, start, start + 6, places=3)
        await hoiva.sync()
        racers = [await replica(c, "kotas") for c in clients[:4]]
        mutations = [await r.mutate("stay.book_series", series_args(21, periods=3)) for r in racers]
        await asyncio.gather(*(r.push() for r in racers))
        await db.rollback()
        booked = (
            await db.execute(
                select(Stay.series_id, func.count())
                .where(Stay.series_id.in_([uuid.UUID(m.args["series_id"]) for m in mutations]))
                .group_by(Stay.series_id)
            )
        ).all()
        assert sum(n for _, n in booked) == 3, "one place per period"
        counted = await recompute(db, STC, window())
        assert all(occupied <= capacity for capacity, occupied in counted.values())
        assert counted[day(21)] == counted[day(41)] == counted[day(55)] == (4, 4)
        # Series that got no period are rejected; the others list the refused periods.
        for racer, mutation in zip(racers, mutations, strict=True):
            held = [o for o in racer.outcomes() if o.id == mutation.id]
            if held:
                assert held[0].code == "capacity_exhausted"
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
