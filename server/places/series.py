"""Regular rotating short-term care (*säännöllinen vuorohoito*) for clients of family carers: a series of
care periods, for example one week every fourth week, booked with one mutation.

- `stay.book_series` (staff of the short-term care unit, coordinators): `periods` periods of `period_days`
  days (both the first and the last day are care days), the n-th (0-based) starting on
  `first_start + n * every_weeks` weeks. The periods may not overlap (`period_days <= 7 * every_weeks`) and
  the whole series spans at most a year. Each period is an ordinary `Stay` (id `series_stay_id(series, n)`,
  `series_id` set) that takes its place under the unit's capacity lock, exactly like `stay.book`.
- **Outcome per period** (the default): a family carer's rotation is planned months ahead and one full week
  should not cost the client the other eleven, so every period that has a free place on all its days is
  booked and the ones that have not are *refused*: the mutation is applied, its result and the synced
  `stay_series` record list each refused period with the full dates (`dates`) and `alternatives` (units of
  the same kind in the same area with room on all its days), so the coordinator books those elsewhere or
  later with `stay.book`. If no period at all fits, the mutation is rejected `capacity_exhausted` (nothing
  was booked, and the rejection shows on the device like any other). With `all_or_nothing: true` any full
  period rejects the whole series `capacity_exhausted`, `details.periods` listing the full ones.
- `stay.cancel_series`: cancels every booked period of the series that starts on or after `from_date`
  (default: today in Finland); a period already under way is left as it is (`stay.change_dates` shortens
  it). The series gets `status` `cancelled` and `cancelled_from`. Cancelling again cancels only what is left.
- A single period can still be moved or cancelled with `stay.change_dates` / `stay.cancel`; the series
  record follows.
- Records: `stay` for each period (with `series_id`) and `stay_series` (every period with its status:
  `booked`, `cancelled`, `refused`), in `places` and `unit:{unit_id}`.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated, Any

import msgspec
from sqlalchemy import select

from server.clock import today_in_finland
from server.places import anomalies
from server.places.capacity import Taker, UnitState, alternatives_for, date_range, overbooked
from server.places.models import Stay, StaySeries, series_stay_id
from server.places.mutations import (
    MAX_PERIOD_DAYS,
    check_and_publish,
    lock_units_in_args,
    locked_row,
    locked_unit,
    prepare_unit_locks,
    publish_series,
    record_scopes,
    require_unit_or_places,
    serve_client,
    stay_data,
    units_of_rows,
)
from server.sync import authorisation as auth
from server.sync.mutations import MutationContext, mutation

MAX_SERIES_PERIODS = 53


class BookSeries(msgspec.Struct, forbid_unknown_fields=True):
    series_id: uuid.UUID
    client_id: uuid.UUID
    unit_id: uuid.UUID
    first_start: date
    period_days: Annotated[int, msgspec.Meta(ge=1, le=28)]
    """Days in each period, both ends included (7: one week)."""
    every_weeks: Annotated[int, msgspec.Meta(ge=1, le=26)]
    """A period starts every this many weeks (4: every fourth week)."""
    periods: Annotated[int, msgspec.Meta(ge=1, le=MAX_SERIES_PERIODS)]
    all_or_nothing: bool = False
    """True: one full period rejects the whole series. False (default): the periods that fit are booked."""


class CancelSeries(msgspec.Struct, forbid_unknown_fields=True):
    series_id: uuid.UUID
    from_date: date | None = None
    """Cancel the periods starting on or after this date; default today (in Finland)."""


def period_dates(
    first_start: date, period_days: int, every_weeks: int, periods: int
) -> list[tuple[date, date]]:
    """The (first day, last day) of every period of a series."""
    return [
        (start, start + timedelta(days=period_days - 1))
        for start in (first_start + timedelta(weeks=every_weeks * n) for n in range(periods))
    ]


def fit_periods(
    state: UnitState, periods: list[tuple[date, date]]
) -> tuple[list[int], dict[int, list[date]]]:
    """Which periods fit, taken in order on top of the unit's state (pure): the booked period numbers, and
    the full dates of each refused one."""
    booked: list[int] = []
    refused: dict[int, list[date]] = {}
    for n, (start, end) in enumerate(periods):
        trial = UnitState(state.unit, state.changes, [*state.takers, Taker(start, end)], state.holds)
        full = overbooked(state, trial, date_range(start, end))
        if full:
            refused[n] = full
        else:
            booked.append(n)
            state = trial
    return booked, refused


def _validate(ctx: MutationContext, args: BookSeries, periods: list[tuple[date, date]]) -> None:
    if args.period_days > 7 * args.every_weeks:
        ctx.reject(
            "invalid_args",
            "The periods would overlap: a period is at most the weeks between two starts.",
            {"period_days": args.period_days, "every_weeks": args.every_weeks},
        )
    last = periods[-1][1]
    if (last - args.first_start).days + 1 > MAX_PERIOD_DAYS:
        ctx.reject(
            "invalid_date",
            "A series spans at most a year.",
            {"first_start": str(args.first_start), "last_day": str(last)},
        )


def _series_result(series: StaySeries, booked: list[uuid.UUID]) -> dict[str, Any]:
    return {
        "series_id": str(series.id),
        "status": series.status,
        "booked": [str(b) for b in booked],
        "refused": list(series.refused or []),
    }


@mutation(
    "stay.book_series",
    args=BookSeries,
    capacity_taking=True,
    prepare=lock_units_in_args,
    touches=auth.placing,
)
async def book_series(ctx: MutationContext, args: BookSeries) -> dict:
    """Book regular rotating care periods; each is a stay. Full periods are refused with alternatives."""
    require_unit_or_places(ctx, args.unit_id)
    periods = period_dates(args.first_start, args.period_days, args.every_weeks, args.periods)
    _validate(ctx, args, periods)
    unit, before = await locked_unit(ctx, args.unit_id, "short_term_care")
    existing = await ctx.session.get(StaySeries, args.series_id)
    if existing is not None:
        ctx.require_replay(
            existing,
            args,
            (
                "client_id",
                "unit_id",
                "first_start",
                "period_days",
                "every_weeks",
                "periods",
                "all_or_nothing",
            ),
            "A series",
        )
        stays = await ctx.session.execute(select(Stay.id).where(Stay.series_id == existing.id))
        return _series_result(existing, sorted(stays.scalars()))
    booked, full = fit_periods(before, periods)
    offered = (
        await alternatives_for(ctx.session, unit, [date_range(*periods[n]) for n in full]) if full else []
    )
    refused = [
        {
            "n": n,
            "start_date": periods[n][0].isoformat(),
            "end_date": periods[n][1].isoformat(),
            "dates": [d.isoformat() for d in dates[:31]],
            "alternatives": others,
        }
        for (n, dates), others in zip(full.items(), offered, strict=True)
    ]
    if refused and (args.all_or_nothing or not booked):
        ctx.reject(
            "capacity_exhausted",
            "No free place in the unit for these periods.",
            {
                "unit_id": str(unit.id),
                "dates": sorted({d for r in refused for d in r["dates"]})[:31],
                "periods": refused,
                # The alternatives for the whole series: a unit with room in every full period.
                "alternatives": _common(refused),
            },
        )
    first, last = periods[booked[0]][0], periods[booked[-1]][1]
    await serve_client(ctx, args.client_id, args.unit_id, first, last)
    series = StaySeries(
        id=args.series_id,
        client_id=args.client_id,
        unit_id=unit.id,
        first_start=args.first_start,
        period_days=args.period_days,
        every_weeks=args.every_weeks,
        periods=args.periods,
        all_or_nothing=args.all_or_nothing,
        status="active",
        refused=refused,
        created_at=ctx.now,
        created_by=ctx.user_id,
        updated_by=ctx.user_id,
    )
    ctx.session.add(series)
    await ctx.session.flush()
    stays = [
        Stay(
            id=series_stay_id(series.id, n),
            client_id=args.client_id,
            unit_id=unit.id,
            start_date=periods[n][0],
            end_date=periods[n][1],
            status="booked",
            series_id=series.id,
            updated_by=ctx.user_id,
        )
        for n in booked
    ]
    ctx.session.add_all(stays)
    # The periods were fitted in memory under the lock; this checks the written rows once more, as
    # `stay.book` does, and publishes the unit's free places.
    await check_and_publish(ctx, unit, before, first, last)
    for stay in stays:
        ctx.changes.put("stay", stay.id, stay_data(stay), record_scopes(unit.id))
    await publish_series(ctx, series.id)
    await anomalies.stay_uploaded(ctx.session, args.client_id, unit.id)  # its periods are stays
    return _series_result(series, [s.id for s in stays])


def _common(refused: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The alternatives offered for every one of the refused periods (least free places kept)."""
    common: dict[str, dict[str, Any]] | None = None
    for period in refused:
        found = {a["unit_id"]: a for a in period["alternatives"]}
        if common is None:
            common = found
        else:
            common = {
                k: {**v, "free": min(v["free"], found[k]["free"])} for k, v in common.items() if k in found
            }
    return list((common or {}).values())


@mutation(
    "stay.cancel_series",
    args=CancelSeries,
    prepare=prepare_unit_locks(units_of_rows(StaySeries, "series_id")),
    touches=lambda a: (auth.ClientOf("series", a.series_id),),
)
async def cancel_series(ctx: MutationContext, args: CancelSeries) -> dict:
    """Cancel the rest of a series: every booked period starting on or after `from_date` (default today)."""
    series, unit, before = await locked_row(ctx, StaySeries, args.series_id, "series")
    from_date = args.from_date or today_in_finland(ctx.now)
    stays = (
        (
            await ctx.session.execute(
                select(Stay)
                .where(Stay.series_id == series.id, Stay.status == "booked", Stay.start_date >= from_date)
                .order_by(Stay.start_date)
                .execution_options(populate_existing=True)
            )
        )
        .scalars()
        .all()
    )
    for stay in stays:
        stay.status, stay.updated_by = "cancelled", ctx.user_id
    if series.cancelled_from is None or from_date < series.cancelled_from:
        series.cancelled_from = from_date
    series.status, series.updated_by, series.updated_at = "cancelled", ctx.user_id, ctx.now
    if stays:
        await check_and_publish(
            ctx, unit, before, stays[0].start_date, max(s.end_date for s in stays), taking=False
        )
    for stay in stays:
        ctx.changes.put("stay", stay.id, stay_data(stay), record_scopes(unit.id))
    await publish_series(ctx, series.id)
    return {"series_id": str(series.id), "cancelled": [str(s.id) for s in stays]}
