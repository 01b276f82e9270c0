"""Statistics of places and queues, computed from the raw rows and protected by `server.suppression`.

Four reports (what each figure counts is explained for coordinators in `docs/reports.md`):

- `clients_report(start, end)`: clients per unit in a period, summed per area and kind, per area, per kind
  and for the region. A client counts in a unit if their service there overlaps the period: a residency
  (24h housing), a booked stay (short-term care), a weekly schedule (day activity). Sums add units up: a
  client served by two units counts in both.
- `occupancy_report(first_month, last_month)`: per unit and month, capacity days (the sum of each day's
  capacity, `server.places.capacity.capacity_on`) and occupied days (residents not absent, booked stays,
  scheduled day-activity clients without a recorded absence — the rules of `server.places.capacity`,
  without the holds of open offers), summed per area and kind and per kind. The rate is occupied/capacity.
- `queue_report(today)`: the active queue (`waiting`, `offered`) per service kind and area: its length,
  mean and median days waiting so far, and how many have waited over three months.
- `waiting_time_report(half, today)`: the Elderly Services Act §26 half-year report: per service kind and
  area, placements decided (accepted offers decided in the half-year) and placements started (accepted
  offers whose start date is in the half-year and not after today), with the mean and median days from
  the queue entry to the start and how many started over three months after entering the queue.

Every count of people, and every figure derived from one, goes through primary and secondary
suppression on the whole region's table; callers filter the protected rows afterwards.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import msgspec
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import KaariError
from server.months import MAX_MONTHS, month_end, months, parse_month
from server.places.capacity import Change, Occupant, Taker, capacity_on, sources, unit_places
from server.places.models import CapacityChange, Residency, ResidencyAbsence, Stay
from server.reference.models import Area, CodeList, Unit
from server.statistics.snapshots import Report, basis_hash
from server.suppression import Relation, is_small, primary, protect

PLACEABLE_KINDS = ("short_term_care", "housing_24h")  # the unit kinds placed through offers (the queue)


# --- rows ------------------------------------------------------------------------------------------------


class ClientsRow(msgspec.Struct):
    level: str  # unit / area_kind / area / kind / region
    area_id: uuid.UUID | None
    kind: str | None
    unit_id: uuid.UUID | None
    unit_code: str | None
    clients: int | None
    suppressed: list[str]


class OccupancyRow(msgspec.Struct):
    month: str
    level: str  # unit / area_kind / kind
    area_id: uuid.UUID | None
    kind: str
    unit_id: uuid.UUID | None
    unit_code: str | None
    capacity_days: int
    occupied_days: int | None
    occupancy_percent: float | None
    suppressed: list[str]


# --- the region -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Region:
    units: list[Unit]
    area_ids: list[uuid.UUID]
    service_kinds: list[str]


async def load_region(session: AsyncSession) -> Region:
    units = list((await session.execute(select(Unit).order_by(Unit.code))).scalars())
    areas = list((await session.execute(select(Area.id).order_by(Area.code))).scalars())
    codes = await session.get(CodeList, "referral.service_kind")
    kinds = [c["code"] for c in codes.codes if c.get("active", True)] if codes else list(PLACEABLE_KINDS)
    return Region(units, areas, kinds)


def hidden_cells(
    values: dict[Hashable, int], relations: list[Relation], forced: Iterable[Hashable] = ()
) -> set:
    return protect(values, relations, primary(values) | set(forced))


# --- clients per unit -----------------------------------------------------------------------------------


async def clients_per_unit(session: AsyncSession, start: date, end: date) -> dict[uuid.UUID, set[uuid.UUID]]:
    """The clients whose residency, booked stay or other place (a day-activity schedule) in each unit
    overlaps start..end."""
    queries = [
        select(Residency.unit_id, Residency.client_id).where(
            Residency.move_in <= end, or_(Residency.move_out.is_(None), Residency.move_out >= start)
        ),
        select(Stay.unit_id, Stay.client_id).where(
            Stay.status == "booked", Stay.start_date <= end, Stay.end_date >= start
        ),
    ]
    found: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for query in queries:
        for unit_id, client_id in await session.execute(query):
            found[unit_id].add(client_id)
    for source in sources():
        if not source.holds:
            for unit_id, client_id in await source.served(session, start, end):
                found[unit_id].add(client_id)
    return found


async def clients_report(session: AsyncSession, start: date, end: date) -> list[ClientsRow]:
    if end < start:
        raise KaariError("The period is from..to.", code="invalid_range")
    region = await load_region(session)
    served = await clients_per_unit(session, start, end)
    values: dict[Hashable, int] = {}
    members: dict[Hashable, list[Hashable]] = defaultdict(list)
    for unit in region.units:
        key = ("unit", unit.id)
        values[key] = len(served.get(unit.id, ()))
        members[("area_kind", unit.area_id, unit.kind)].append(key)
    for group in list(members):
        members[("area", group[1])].append(group)
        members[("kind", group[2])].append(group)
    for group in [g for g in members if g[0] == "area"]:
        members[("region",)].append(group)
    for total in sorted(members, key=lambda k: -len(k)):  # area_kind, then area and kind, then region
        values[total] = sum(values[p] for p in members[total])
    relations = [Relation(total, tuple(parts)) for total, parts in members.items()]
    relations.append(Relation(("region",), tuple(k for k in members if k[0] == "kind")))
    hidden = hidden_cells(values, relations)
    by_id = {u.id: u for u in region.units}

    def row(key: tuple) -> ClientsRow:
        unit = by_id.get(key[1]) if key[0] == "unit" else None
        area = unit.area_id if unit else (key[1] if key[0] in ("area_kind", "area") else None)
        kind = (
            unit.kind if unit else (key[2] if key[0] == "area_kind" else key[1] if key[0] == "kind" else None)
        )
        shown = key not in hidden
        return ClientsRow(
            key[0],
            area,
            kind,
            unit.id if unit else None,
            unit.code if unit else None,
            values[key] if shown else None,
            [] if shown else ["clients"],
        )

    order = {"unit": 0, "area_kind": 1, "area": 2, "kind": 3, "region": 4}
    rows = [row(k) for k in values]
    rows.sort(key=lambda r: (order[r.level], str(r.area_id or ""), r.kind or "", r.unit_code or ""))
    return rows


# --- occupancy ------------------------------------------------------------------------------------------


async def occupants(session: AsyncSession, first: date, last: date) -> list[Occupant]:
    """Everything that took a place on some day of first..last, with its client (no open offers)."""
    found = [
        Occupant(c, u, Taker(s, e))
        for c, u, s, e in await session.execute(
            select(Stay.client_id, Stay.unit_id, Stay.start_date, Stay.end_date).where(
                Stay.status == "booked", Stay.start_date <= last, Stay.end_date >= first
            )
        )
    ]
    residencies = (
        await session.execute(
            select(Residency).where(
                Residency.move_in <= last, or_(Residency.move_out.is_(None), Residency.move_out >= first)
            )
        )
    ).scalars()
    gaps: dict[uuid.UUID, list[tuple[date, date]]] = defaultdict(list)
    for residency_id, start, end in await session.execute(
        select(ResidencyAbsence.residency_id, ResidencyAbsence.start_date, ResidencyAbsence.end_date).where(
            ResidencyAbsence.start_date <= last, ResidencyAbsence.end_date >= first
        )
    ):
        gaps[residency_id].append((start, end))
    found += [
        Occupant(r.client_id, r.unit_id, Taker(r.move_in, r.move_out, tuple(sorted(gaps[r.id]))))
        for r in residencies
    ]
    for source in sources():
        if not source.holds:
            found += await source.occupants(session, first, last)
    return found


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


async def occupancy_report(session: AsyncSession, first_month: date, last_month: date) -> list[OccupancyRow]:
    spans = months(first_month, last_month)
    if not spans or len(spans) > MAX_MONTHS:
        raise KaariError(f"The range is from..to, 1 to {MAX_MONTHS} months.", code="invalid_range")
    first, last = spans[0], month_end(spans[-1])
    region = await load_region(session)
    changes: dict[uuid.UUID, list[Change]] = defaultdict(list)
    for c in (
        await session.execute(
            select(CapacityChange).where(CapacityChange.start_date <= last, CapacityChange.end_date >= first)
        )
    ).scalars():
        changes[c.unit_id].append(
            Change(c.start_date, c.end_date, c.mode, c.places, (c.created_at, str(c.id)))
        )
    occupied: dict[tuple[uuid.UUID, date], int] = defaultdict(int)
    people: dict[tuple[uuid.UUID, date], set[uuid.UUID]] = defaultdict(set)
    for o in await occupants(session, first, last):
        end = min(o.taker.end or last, last)
        for day in _days(max(o.taker.start, first), end):
            if o.taker.occupies(day):
                occupied[(o.unit_id, day)] += 1
                people[(o.unit_id, day.replace(day=1))].add(o.client_id)
    rows: list[OccupancyRow] = []
    for month in spans:
        days = _days(month, month_end(month))
        capacity: dict[Hashable, int] = {}
        values: dict[Hashable, int] = {}
        persons: dict[Hashable, set[uuid.UUID]] = defaultdict(set)
        groups: dict[Hashable, list[Hashable]] = defaultdict(list)
        for unit in region.units:
            key = ("unit", unit.id)
            places = unit_places(unit)
            capacity[key] = sum(capacity_on(places, changes[unit.id], d) for d in days)
            values[key] = sum(occupied[(unit.id, d)] for d in days)
            persons[key] = people[(unit.id, month)]
            groups[("area_kind", unit.area_id, unit.kind)].append(key)
        for group in list(groups):
            groups[("kind", group[2])].append(group)
        for total in sorted(groups, key=lambda k: -len(k)):  # area_kind before kind
            capacity[total] = sum(capacity[p] for p in groups[total])
            values[total] = sum(values[p] for p in groups[total])
            persons[total] = set().union(*(persons[p] for p in groups[total]))
        few = {k for k, who in persons.items() if is_small(len(who))}
        hidden = protect(values, [Relation(t, tuple(p)) for t, p in groups.items()], few)
        rows += [
            _occupancy_row(month, key, capacity[key], values[key], key in hidden, region) for key in values
        ]
    order = {"unit": 0, "area_kind": 1, "kind": 2}
    rows.sort(key=lambda r: (r.month, order[r.level], str(r.area_id or ""), r.kind, r.unit_code or ""))
    return rows


def _occupancy_row(
    month: date, key: tuple, capacity: int, occupied: int, hidden: bool, region: Region
) -> OccupancyRow:
    unit = next((u for u in region.units if u.id == key[1]), None) if key[0] == "unit" else None
    area = unit.area_id if unit else (key[1] if key[0] == "area_kind" else None)
    kind = unit.kind if unit else key[-1]
    percent = round(100 * occupied / capacity, 1) if capacity else None
    return OccupancyRow(
        month.strftime("%Y-%m"),
        key[0],
        area,
        kind,
        unit.id if unit else None,
        unit.code if unit else None,
        capacity,
        None if hidden else occupied,
        None if hidden else percent,
        ["occupied_days", "occupancy_percent"] if hidden else [],
    )


# --- snapshots -----------------------------------------------------------------------------------------


async def occupancy_basis(session: AsyncSession, months: list[str]) -> dict[str, str]:
    """Per month: every unit's places, and the capacity changes overlapping the month."""
    units = [
        (str(u.id), u.code, str(u.area_id), u.kind, u.capacity, u.weekday_capacity, u.opening_days)
        for u in (await session.execute(select(Unit).order_by(Unit.code))).scalars()
    ]
    spans = {m: (parse_month(m), month_end(parse_month(m))) for m in months}
    changes = (
        (
            await session.execute(
                select(CapacityChange)
                .where(
                    CapacityChange.start_date <= max(e for _, e in spans.values()),
                    CapacityChange.end_date >= min(s for s, _ in spans.values()),
                )
                .order_by(CapacityChange.id)
            )
        )
        .scalars()
        .all()
        if months
        else []
    )
    found = {}
    for month, (first, last) in spans.items():
        overlapping = [
            (str(c.id), str(c.unit_id), c.start_date, c.end_date, c.mode, c.places, c.created_at)
            for c in changes
            if c.start_date <= last and c.end_date >= first
        ]
        found[month] = basis_hash([units, overlapping])
    return found


SNAPSHOT_REPORTS = (Report("places.occupancy", occupancy_report, OccupancyRow, occupancy_basis),)
"""Kept as nightly snapshots of closed months (`server.statistics.snapshots`)."""
