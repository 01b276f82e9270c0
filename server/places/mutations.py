"""Places mutations: short-term stays, 24h-housing residencies and capacity changes.

Every handler follows the same steps:
1. authorise: `stay.*` and `residency.*` need `unit:{unit_id}` (unit staff) or `places` (a coordinator);
   `capacity.change` needs the role admin or coordinator;
2. take the unit's capacity lock (`capacity.lock_unit`) before reading anything that counts places;
3. load the unit's state, write the rows, load the state again, and refuse if any date became over
   capacity or more over capacity than it was (`capacity.overbooked`):
   `capacity_exhausted` with `details.alternatives` (units of the same kind in the same area with a free
   place on every requested date) for the mutations that take places, `capacity_in_use` for a capacity
   reduction below the places already taken;
4. publish the changed records (`stay`, `residency`, the client if it got a new service relationship) and
   the unit's `free_places` for [today, today+60] into `places` and `unit:{unit_id}`.

Rules:
- `stay.book` (short-term-care units): `end_date >= start_date`, at most a year; both days are care days.
  The client gets a service relationship (`client_units`) to the unit through `end_date` if it has none,
  and is republished so the unit's staff see it. Re-sending the same booking (same id and content) is a
  no-op; the same id with other content is `duplicate`.
- `stay.book`, `stay.change_dates`, `stay.book_series`, `residency.move_in`, `residency.move_out` and
  `residency.move` ask for `places.late_anomalies` (the client's overlapping stays, a stay or a second
  residency on a residency's days, the unit above capacity: tasks for the coordinators;
  `server.places.anomalies`) in their transaction.
- `stay.cancel`: frees the places; cancelling a cancelled stay is a no-op.
- `stay.change_dates`: a booked stay only; checked against capacity for the days it adds.
- `residency.move_in` (24h-housing units): open-ended; checked on every date from `move_in` on (every
  later date looks like the day after the unit's last dated event). A client cannot have two
  overlapping residencies in one unit (`already_resident`).
- `residency.move_out`: sets or changes the move-out date (the last day in care); a later date than
  before is capacity-checked like a move-in.
- `residency.absence`: a period within the residency (hospital, home leave, other); the place is free on
  those days.
- `residency.move` (24h housing, staff of both units or a coordinator): the resident moves to another
  24h unit on `move_date`; the old residency ends the day before, a new one (`new_residency_id`) starts
  that day in the new unit (capacity-checked there, `capacity_exhausted` with alternatives). Both units are
  locked, in ascending unit id (`capacity.lock_units`).
- `capacity.change`: `mode` `delta` (places may be negative: a closed room) or `absolute` (places ≥ 0).
- Regular rotating periods (`stay.book_series`, `stay.cancel_series`) are in `server.places.series`.

Lock order: a push batch runs in one transaction and may touch several units. Every mutation here has a
`prepare` hook (`prepare_unit_locks`) that locks all the units its mutations in the batch will lock, in
ascending unit id, before the first of them runs; handlers then lock their unit again (already held).
"Today" is the date in Finland (`server.clock`), not the UTC date.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import date, timedelta
from typing import Annotated, Any, Literal

import msgspec
from sqlalchemy import or_, select

from server import signals
from server.accounts.scopes import PLACES, unit_scope
from server.clients.models import Client, ClientUnit
from server.clients.sync import publish_client
from server.clock import today_in_finland
from server.places import anomalies
from server.places.capacity import (
    UnitState,
    alternatives,
    days_to_check,
    freed_dates,
    load_state,
    lock_unit,
    lock_units,
    overbooked,
    publish_free_places,
)
from server.places.models import (
    CapacityChange,
    Residency,
    ResidencyAbsence,
    Stay,
    StaySeries,
    series_stay_id,
)
from server.reference.models import Unit
from server.sync import authorisation as auth
from server.sync.mutations import MutationContext, mutation

MAX_PERIOD_DAYS = 366
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class BookStay(msgspec.Struct, forbid_unknown_fields=True):
    stay_id: uuid.UUID
    client_id: uuid.UUID
    unit_id: uuid.UUID
    start_date: date
    end_date: date


class CancelStay(msgspec.Struct, forbid_unknown_fields=True):
    stay_id: uuid.UUID


class ChangeStayDates(msgspec.Struct, forbid_unknown_fields=True):
    stay_id: uuid.UUID
    start_date: date
    end_date: date


class MoveIn(msgspec.Struct, forbid_unknown_fields=True):
    residency_id: uuid.UUID
    client_id: uuid.UUID
    unit_id: uuid.UUID
    move_in: date


class MoveOut(msgspec.Struct, forbid_unknown_fields=True):
    residency_id: uuid.UUID
    move_out: date


class Absence(msgspec.Struct, forbid_unknown_fields=True):
    absence_id: uuid.UUID
    residency_id: uuid.UUID
    start_date: date
    end_date: date
    reason: Literal["hospital", "home_leave", "other"]  # models.ABSENCE_REASONS


class MoveResident(msgspec.Struct, forbid_unknown_fields=True):
    residency_id: uuid.UUID
    """The current residency; it ends the day before `move_date`."""
    new_residency_id: uuid.UUID
    unit_id: uuid.UUID
    """The 24h unit the resident moves to."""
    move_date: date
    """The first day in the new unit."""


class ChangeCapacity(msgspec.Struct, forbid_unknown_fields=True):
    change_id: uuid.UUID
    unit_id: uuid.UUID
    start_date: date
    end_date: date
    places: int
    reason: Reason
    mode: Literal["delta", "absolute"] = "delta"


# --- records ------------------------------------------------------------------------------------------------


def stay_data(stay: Stay) -> dict:
    return {
        "id": str(stay.id),
        "client_id": str(stay.client_id),
        "unit_id": str(stay.unit_id),
        "start_date": stay.start_date.isoformat(),
        "end_date": stay.end_date.isoformat(),
        "status": stay.status,
        "care_days": (stay.end_date - stay.start_date).days + 1,
        "series_id": str(stay.series_id) if stay.series_id else None,
    }


def series_data(series: StaySeries, stays: Sequence[Stay]) -> dict[str, Any]:
    """A series and every one of its periods: `booked`, `cancelled` (the stay's own dates, which
    `stay.change_dates` may have moved) or `refused` (no free place then: its full dates and alternatives)."""
    by_n: dict[int, dict[str, Any]] = {}
    ids = {series_stay_id(series.id, n): n for n in range(series.periods)}
    for stay in stays:
        n = ids.get(stay.id)
        if n is not None:
            by_n[n] = {
                "n": n,
                "start_date": stay.start_date.isoformat(),
                "end_date": stay.end_date.isoformat(),
                "status": stay.status,
                "stay_id": str(stay.id),
            }
    for refused in series.refused or []:
        by_n.setdefault(refused["n"], {**refused, "status": "refused", "stay_id": None})
    period_list = [by_n[n] for n in sorted(by_n)]
    return {
        "id": str(series.id),
        "client_id": str(series.client_id),
        "unit_id": str(series.unit_id),
        "first_start": series.first_start.isoformat(),
        "period_days": series.period_days,
        "every_weeks": series.every_weeks,
        "periods": series.periods,
        "all_or_nothing": series.all_or_nothing,
        "status": series.status,
        "cancelled_from": series.cancelled_from.isoformat() if series.cancelled_from else None,
        "booked": sum(1 for p in period_list if p["status"] == "booked"),
        "refused": sum(1 for p in period_list if p["status"] == "refused"),
        "period_list": period_list,
    }


async def publish_series(ctx: MutationContext, series_id: uuid.UUID) -> None:
    """Republish the `stay_series` record (after one of its stays was booked, changed or cancelled)."""
    series = await ctx.session.get(StaySeries, series_id)
    if series is None:
        return
    await ctx.session.flush()
    stays = (await ctx.session.execute(select(Stay).where(Stay.series_id == series_id))).scalars().all()
    ctx.changes.put("stay_series", series.id, series_data(series, stays), record_scopes(series.unit_id))


async def residency_data(ctx: MutationContext, residency: Residency) -> dict:
    absences = (
        await ctx.session.execute(
            select(ResidencyAbsence)
            .where(ResidencyAbsence.residency_id == residency.id)
            .order_by(ResidencyAbsence.start_date, ResidencyAbsence.id)
        )
    ).scalars()
    return residency_record(residency, list(absences))


def residency_record(residency: Residency, absences: list[ResidencyAbsence]) -> dict:
    return {
        "id": str(residency.id),
        "client_id": str(residency.client_id),
        "unit_id": str(residency.unit_id),
        "move_in": residency.move_in.isoformat(),
        "move_out": residency.move_out.isoformat() if residency.move_out else None,
        "absences": [
            {
                "id": str(a.id),
                "start_date": a.start_date.isoformat(),
                "end_date": a.end_date.isoformat(),
                "reason": a.reason,
            }
            for a in absences
        ],
    }


def record_scopes(unit_id: uuid.UUID) -> list[str]:
    return [PLACES, unit_scope(unit_id)]


# --- shared steps -------------------------------------------------------------------------------------------


def require_unit_or_places(ctx: MutationContext, unit_id: uuid.UUID) -> None:
    if PLACES not in ctx.scopes:
        ctx.require_scope(unit_scope(unit_id))


def require_period(ctx: MutationContext, start: date, end: date) -> None:
    if end < start:
        ctx.reject(
            "invalid_date", "The period ends before it starts.", {"start": str(start), "end": str(end)}
        )
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        ctx.reject("invalid_date", "A period is at most a year.", {"start": str(start), "end": str(end)})


async def locked_unit(ctx: MutationContext, unit_id: uuid.UUID, kind: str | None) -> tuple[Unit, UnitState]:
    """Take the unit's capacity lock, then read its state (see `server.places.capacity`)."""
    unit = await lock_unit(ctx.session, unit_id)
    if unit is None:
        ctx.reject("unknown_entity", "No such unit.", {"unit_id": str(unit_id)})
    if kind is not None and unit.kind != kind:
        ctx.reject(
            "invalid_unit_kind", f"This needs a {kind} unit.", {"unit_id": str(unit_id), "kind": unit.kind}
        )
    return unit, await load_state(ctx.session, unit)


async def check_and_publish(
    ctx: MutationContext,
    unit: Unit,
    before: UnitState,
    start: date,
    end: date | None,
    *,
    taking: bool = True,
) -> None:
    """Refuse if the written rows overbook any date of start..end (None: open); else publish free places."""
    await ctx.session.flush()
    after = await load_state(ctx.session, unit)
    today = today_in_finland(ctx.now)
    days = days_to_check(start, end, [before, after], today)
    bad = overbooked(before, after, days)
    if bad:
        details = {"unit_id": str(unit.id), "dates": [d.isoformat() for d in bad[:31]]}
        if taking:
            details["alternatives"] = await alternatives(ctx.session, unit, days)
            ctx.reject("capacity_exhausted", "No free place in the unit on these dates.", details)
        ctx.reject("capacity_in_use", "More places are taken on these dates than the change leaves.", details)
    freed = freed_dates(before, after, today)
    if freed:  # more free places than before: whoever listens (the coordinators' notifications) is told
        await signals.publish(ctx.session, signals.PlacesFreed(unit.id, freed[0], freed[-1]), ctx.now)
    publish_free_places(ctx.changes, after, today)


async def serve_client(
    ctx: MutationContext, client_id: uuid.UUID, unit_id: uuid.UUID, since: date, until: date | None
) -> Client:
    """Make sure the client has a service relationship to the unit covering since..until; republish it."""
    client = await ctx.session.get(Client, client_id)
    if client is None:
        ctx.reject("unknown_entity", "No such client.", {"client_id": str(client_id)})
    row = (
        await ctx.session.execute(
            select(ClientUnit).where(ClientUnit.client_id == client_id, ClientUnit.unit_id == unit_id)
        )
    ).scalar_one_or_none()
    if row is None:
        ctx.session.add(ClientUnit(client_id=client_id, unit_id=unit_id, since=since, until=until))
    else:
        row.since = min(row.since, since)
        if row.until is not None and (until is None or until > row.until):
            row.until = until
    await ctx.session.flush()
    await publish_client(ctx.session, ctx.changes, client)
    return client


async def locked_row(
    ctx: MutationContext, model: Any, row_id: uuid.UUID, what: str
) -> tuple[Any, Unit, UnitState]:
    """A row of a unit (`model.unit_id`) the author may change, read again under its unit's capacity lock,
    with the unit and its state before; `unknown_entity` if there is none."""
    found = await ctx.session.get(model, row_id)
    if found is None:
        ctx.reject("unknown_entity", f"No such {what}.", {f"{what}_id": str(row_id)})
    require_unit_or_places(ctx, found.unit_id)
    unit, before = await locked_unit(ctx, found.unit_id, None)
    row = await ctx.session.get(model, row_id, populate_existing=True)
    assert row is not None
    return row, unit, before


async def end_service(ctx: MutationContext, client_id: uuid.UUID, unit_id: uuid.UUID, until: date) -> None:
    """The client's service relationship to the unit ends on `until` (a move-out)."""
    link = (
        await ctx.session.execute(
            select(ClientUnit).where(ClientUnit.client_id == client_id, ClientUnit.unit_id == unit_id)
        )
    ).scalar_one_or_none()
    if link is not None:
        link.until = until


# --- lock order across a push batch ---------------------------------------------------------------------------


UnitsOf = Callable[[MutationContext, list[Any]], Awaitable[Iterable[uuid.UUID]]]


def prepare_unit_locks(units_of: UnitsOf) -> Callable[[MutationContext, list[Any]], Awaitable[None]]:
    """A `prepare` hook: ask for the locks of every unit the batch's mutations of one name will lock; the
    push takes all the batch's unit locks together, in ascending id (`MutationContext.lock_together`)."""

    async def prepare(ctx: MutationContext, args_list: list[Any]) -> None:
        ctx.lock_together(lock_units, await units_of(ctx, args_list))

    return prepare


async def units_in_args(ctx: MutationContext, args_list: list[Any]) -> list[uuid.UUID]:
    return [args.unit_id for args in args_list]


def units_of_rows(model: Any, key: str) -> UnitsOf:
    """The units of the rows (`model.unit_id`) whose ids are the args' `key`."""

    async def units_of(ctx: MutationContext, args_list: list[Any]) -> list[uuid.UUID]:
        ids = [getattr(args, key) for args in args_list]
        rows = await ctx.session.execute(select(model.unit_id).where(model.id.in_(ids)).distinct())
        return list(rows.scalars())

    return units_of


async def units_of_moves(ctx: MutationContext, args_list: list[Any]) -> list[uuid.UUID]:
    return [
        *await units_of_rows(Residency, "residency_id")(ctx, args_list),
        *await units_in_args(ctx, args_list),
    ]


lock_units_in_args = prepare_unit_locks(units_in_args)
lock_units_of_stays = prepare_unit_locks(units_of_rows(Stay, "stay_id"))
lock_units_of_residencies = prepare_unit_locks(units_of_rows(Residency, "residency_id"))


# --- short-term stays ---------------------------------------------------------------------------------------


@mutation("stay.book", args=BookStay, capacity_taking=True, prepare=lock_units_in_args, touches=auth.placing)
async def book(ctx: MutationContext, args: BookStay) -> dict:
    """Book a short-term care period; `capacity_exhausted` with alternatives when a date is full."""
    require_unit_or_places(ctx, args.unit_id)
    require_period(ctx, args.start_date, args.end_date)
    unit, before = await locked_unit(ctx, args.unit_id, "short_term_care")
    existing = await ctx.session.get(Stay, args.stay_id)
    if existing is not None:
        ctx.require_replay(existing, args, ("client_id", "unit_id", "start_date", "end_date"), "A stay")
        return {"stay_id": str(existing.id), "status": existing.status}
    await serve_client(ctx, args.client_id, args.unit_id, args.start_date, args.end_date)
    stay = Stay(
        id=args.stay_id,
        client_id=args.client_id,
        unit_id=args.unit_id,
        start_date=args.start_date,
        end_date=args.end_date,
        status="booked",
        updated_by=ctx.user_id,
    )
    ctx.session.add(stay)
    await check_and_publish(ctx, unit, before, args.start_date, args.end_date)
    ctx.changes.put("stay", stay.id, stay_data(stay), record_scopes(unit.id))
    await anomalies.stay_uploaded(ctx.session, stay.client_id, unit.id)
    return {"stay_id": str(stay.id), "status": stay.status}


@mutation(
    "stay.cancel",
    args=CancelStay,
    prepare=lock_units_of_stays,
    touches=lambda a: (auth.ClientOf("stay", a.stay_id),),
)
async def cancel(ctx: MutationContext, args: CancelStay) -> dict:
    """Cancel a stay; its places are free again."""
    stay, unit, before = await locked_row(ctx, Stay, args.stay_id, "stay")
    if stay.status != "cancelled":
        stay.status, stay.updated_by = "cancelled", ctx.user_id
        await check_and_publish(ctx, unit, before, stay.start_date, stay.end_date, taking=False)
        ctx.changes.put("stay", stay.id, stay_data(stay), record_scopes(unit.id))
        if stay.series_id is not None:
            await publish_series(ctx, stay.series_id)
    return {"stay_id": str(stay.id), "status": stay.status}


@mutation(
    "stay.change_dates",
    args=ChangeStayDates,
    capacity_taking=True,
    prepare=lock_units_of_stays,
    touches=lambda a: (auth.ClientOf("stay", a.stay_id),),
)
async def change_dates(ctx: MutationContext, args: ChangeStayDates) -> dict:
    """Move or resize a booked stay; the days it adds must have a free place."""
    require_period(ctx, args.start_date, args.end_date)
    stay, unit, before = await locked_row(ctx, Stay, args.stay_id, "stay")
    if stay.status != "booked":
        ctx.reject("invalid_state", "Only a booked stay can change dates.", {"status": stay.status})
    first, last = min(stay.start_date, args.start_date), max(stay.end_date, args.end_date)
    stay.start_date, stay.end_date, stay.updated_by = args.start_date, args.end_date, ctx.user_id
    await serve_client(ctx, stay.client_id, unit.id, args.start_date, args.end_date)
    await check_and_publish(ctx, unit, before, first, last)
    ctx.changes.put("stay", stay.id, stay_data(stay), record_scopes(unit.id))
    await anomalies.stay_uploaded(ctx.session, stay.client_id, unit.id)
    if stay.series_id is not None:
        await publish_series(ctx, stay.series_id)
    return {"stay_id": str(stay.id), "status": stay.status}


# --- 24h housing ----------------------------------------------------------------------------------------------


@mutation(
    "residency.move_in",
    args=MoveIn,
    capacity_taking=True,
    prepare=lock_units_in_args,
    touches=auth.placing,
)
async def move_in(ctx: MutationContext, args: MoveIn) -> dict:
    """A resident moves in (open-ended): needs a free place on every date from `move_in` on."""
    require_unit_or_places(ctx, args.unit_id)
    unit, before = await locked_unit(ctx, args.unit_id, "housing_24h")
    if await ctx.session.get(Residency, args.residency_id) is not None:
        ctx.reject("duplicate", "A residency with this id already exists.")
    overlapping = await ctx.session.execute(
        select(Residency.id).where(
            Residency.client_id == args.client_id,
            Residency.unit_id == args.unit_id,
            or_(Residency.move_out.is_(None), Residency.move_out >= args.move_in),
        )
    )
    if overlapping.first() is not None:
        ctx.reject("already_resident", "The client already lives in this unit then.")
    await serve_client(ctx, args.client_id, args.unit_id, args.move_in, None)
    residency = Residency(
        id=args.residency_id,
        client_id=args.client_id,
        unit_id=args.unit_id,
        move_in=args.move_in,
        updated_by=ctx.user_id,
    )
    ctx.session.add(residency)
    await check_and_publish(ctx, unit, before, args.move_in, None)
    ctx.changes.put("residency", residency.id, await residency_data(ctx, residency), record_scopes(unit.id))
    await anomalies.residency_uploaded(ctx.session, residency.client_id, unit.id)
    return {"residency_id": str(residency.id)}


@mutation(
    "residency.move_out",
    args=MoveOut,
    capacity_taking=True,
    prepare=lock_units_of_residencies,
    touches=lambda a: (auth.ClientOf("residency", a.residency_id),),
)
async def move_out(ctx: MutationContext, args: MoveOut) -> dict:
    """Set or change the move-out date (the last day in care); a later date is capacity-checked."""
    residency, unit, before = await locked_row(ctx, Residency, args.residency_id, "residency")
    if args.move_out < residency.move_in:
        ctx.reject("invalid_date", "The move-out is before the move-in.", {"move_in": str(residency.move_in)})
    residency.move_out, residency.updated_by = args.move_out, ctx.user_id
    await end_service(ctx, residency.client_id, residency.unit_id, args.move_out)
    await check_and_publish(ctx, unit, before, residency.move_in, None)
    ctx.changes.put("residency", residency.id, await residency_data(ctx, residency), record_scopes(unit.id))
    client = await ctx.session.get(Client, residency.client_id)
    if client is not None:
        await publish_client(ctx.session, ctx.changes, client)
    await anomalies.residency_uploaded(ctx.session, residency.client_id, unit.id)
    return {"residency_id": str(residency.id)}


@mutation(
    "residency.absence",
    args=Absence,
    prepare=lock_units_of_residencies,
    touches=lambda a: (auth.ClientOf("residency", a.residency_id),),
)
async def absence(ctx: MutationContext, args: Absence) -> dict:
    """A temporary absence (hospital, home leave) within the residency; the place is free those days."""
    require_period(ctx, args.start_date, args.end_date)
    residency, unit, before = await locked_row(ctx, Residency, args.residency_id, "residency")
    if args.start_date < residency.move_in or (
        residency.move_out is not None and args.end_date > residency.move_out
    ):
        ctx.reject("invalid_date", "The absence is outside the residency.")
    if await ctx.session.get(ResidencyAbsence, args.absence_id) is not None:
        ctx.reject("duplicate", "An absence with this id already exists.")
    ctx.session.add(
        ResidencyAbsence(
            id=args.absence_id,
            residency_id=residency.id,
            start_date=args.start_date,
            end_date=args.end_date,
            reason=args.reason,
            created_by=ctx.user_id,
        )
    )
    await check_and_publish(ctx, unit, before, args.start_date, args.end_date, taking=False)
    ctx.changes.put("residency", residency.id, await residency_data(ctx, residency), record_scopes(unit.id))
    return {"absence_id": str(args.absence_id)}


@mutation(
    "residency.move",
    args=MoveResident,
    capacity_taking=True,
    prepare=prepare_unit_locks(units_of_moves),
    touches=lambda a: (auth.ClientOf("residency", a.residency_id), auth.Unit(a.unit_id, places=True)),
)
async def move(ctx: MutationContext, args: MoveResident) -> dict:
    """Move a resident to another 24h unit: the old residency ends the day before `move_date`, a new one
    starts then in the new unit (capacity-checked). Both units are locked in ascending unit id."""
    found = await ctx.session.get(Residency, args.residency_id)
    if found is None:
        ctx.reject("unknown_entity", "No such residency.", {"residency_id": str(args.residency_id)})
    require_unit_or_places(ctx, found.unit_id)
    require_unit_or_places(ctx, args.unit_id)
    if found.unit_id == args.unit_id:
        ctx.reject("invalid_args", "The resident already lives in this unit.", {"unit_id": str(args.unit_id)})
    units = await lock_units(ctx.session, [found.unit_id, args.unit_id])
    if args.unit_id not in units:
        ctx.reject("unknown_entity", "No such unit.", {"unit_id": str(args.unit_id)})
    old_unit, new_unit = units[found.unit_id], units[args.unit_id]
    if new_unit.kind != "housing_24h":
        ctx.reject("invalid_unit_kind", "This needs a housing_24h unit.", {"unit_id": str(new_unit.id)})
    residency = await ctx.session.get(Residency, args.residency_id, populate_existing=True)
    assert residency is not None
    existing = await ctx.session.get(Residency, args.new_residency_id)
    if existing is not None:
        replay = (existing.client_id, existing.unit_id, existing.move_in) == (
            residency.client_id,
            args.unit_id,
            args.move_date,
        )
        if not replay:
            ctx.reject("duplicate", "A residency with this id already exists with other content.")
        return {"residency_id": str(residency.id), "new_residency_id": str(existing.id)}
    if args.move_date <= residency.move_in or (
        residency.move_out is not None and args.move_date > residency.move_out
    ):
        ctx.reject("invalid_date", "The move is outside the residency.", {"move_in": str(residency.move_in)})
    old_before, new_before = await load_state(ctx.session, old_unit), await load_state(ctx.session, new_unit)
    planned_out = residency.move_out
    residency.move_out, residency.updated_by = args.move_date - timedelta(days=1), ctx.user_id
    await end_service(ctx, residency.client_id, old_unit.id, residency.move_out)
    moved = Residency(
        id=args.new_residency_id,
        client_id=residency.client_id,
        unit_id=new_unit.id,
        move_in=args.move_date,
        move_out=planned_out,
        updated_by=ctx.user_id,
    )
    ctx.session.add(moved)
    await serve_client(ctx, residency.client_id, new_unit.id, args.move_date, planned_out)
    await check_and_publish(ctx, new_unit, new_before, args.move_date, planned_out)
    await check_and_publish(ctx, old_unit, old_before, args.move_date, planned_out, taking=False)
    for row in (residency, moved):
        ctx.changes.put("residency", row.id, await residency_data(ctx, row), record_scopes(row.unit_id))
    await anomalies.residency_uploaded(ctx.session, moved.client_id, new_unit.id)
    return {"residency_id": str(residency.id), "new_residency_id": str(moved.id)}


# --- capacity -------------------------------------------------------------------------------------------------


@mutation(
    "capacity.change",
    args=ChangeCapacity,
    capacity_taking=True,
    prepare=lock_units_in_args,
    touches=lambda a: (auth.Role("admin", "coordinator"),),
)
async def change_capacity(ctx: MutationContext, args: ChangeCapacity) -> dict:
    """A temporary capacity change for a period (admin or coordinator); never below the places taken."""
    ctx.require_role("admin", "coordinator")
    require_period(ctx, args.start_date, args.end_date)
    if args.mode == "absolute" and args.places < 0:
        ctx.reject("invalid_args", "An absolute capacity cannot be negative.", {"places": args.places})
    unit, before = await locked_unit(ctx, args.unit_id, None)
    if await ctx.session.get(CapacityChange, args.change_id) is not None:
        ctx.reject("duplicate", "A capacity change with this id already exists.")
    ctx.session.add(
        CapacityChange(
            id=args.change_id,
            unit_id=unit.id,
            start_date=args.start_date,
            end_date=args.end_date,
            mode=args.mode,
            places=args.places,
            reason=args.reason,
            created_at=ctx.now,
            created_by=ctx.user_id,
        )
    )
    await check_and_publish(ctx, unit, before, args.start_date, args.end_date, taking=False)
    return {"change_id": str(args.change_id)}


# Registers `stay.book_series` and `stay.cancel_series` (they build on the steps above).
from server.places import series as _series  # noqa: E402, F401
