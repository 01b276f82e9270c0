"""Statistics of places and queues, computed from the raw rows and protected by `server.places.statistics`.

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

import re
import statistics
import uuid
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import msgspec
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.attendance.models import Attendance
from server.clock import date_in_finland
from server.day_activity.models import Schedule
from server.errors import KaariError
from server.places.capacity import Change, Taker, capacity_on, unit_places
from server.places.models import CapacityChange, Residency, ResidencyAbsence, Stay
from server.places.statistics import Relation, is_small, primary, protect
from server.queue.models import ACTIVE_ENTRY_STATUSES, Offer, QueueEntry
from server.reference.models import Area, CodeList, Unit

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
HALF = re.compile(r"^(\d{4})-H([12])$")
MAX_MONTHS = 24
STATUTORY_MONTHS = 3
PLACEABLE_KINDS = ("short_term_care", "housing_24h")  # the kinds placed through offers (server.queue)


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


class QueueRow(msgspec.Struct):
    level: str  # area / kind
    service_kind: str
    area_id: uuid.UUID | None
    waiting: int | None
    over_3_months: int | None
    mean_days: float | None
    median_days: float | None
    suppressed: list[str]


class WaitingTimeRow(msgspec.Struct):
    level: str  # area / kind
    service_kind: str
    area_id: uuid.UUID | None
    decisions: int | None
    started: int | None
    mean_days: float | None
    median_days: float | None
    over_3_months: int | None
    suppressed: list[str]


# --- periods ---------------------------------------------------------------------------------------------


def parse_month(value: str) -> date:
    found = MONTH.match(value)
    if found is None:
        raise KaariError("A month is YYYY-MM.", code="invalid_args", details={"month": value})
    return date(int(found[1]), int(found[2]), 1)


def month_span(start: str | None, end: str | None, today: date) -> tuple[date, date]:
    """`from`..`to` (YYYY-MM) as the first days of their months; `today`'s month when `from` is absent."""
    first = parse_month(start) if start else today.replace(day=1)
    return first, parse_month(end) if end else first


def month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def months(first: date, last: date) -> list[date]:
    found, current = [], first
    while current <= last:
        found.append(current)
        current = month_end(current) + timedelta(days=1)
    return found


def parse_half(value: str) -> tuple[date, date]:
    found = HALF.match(value)
    if found is None:
        raise KaariError("A half-year is YYYY-H1 or YYYY-H2.", code="invalid_args", details={"half": value})
    year = int(found[1])
    return (
        (date(year, 1, 1), date(year, 6, 30)) if found[2] == "1" else (date(year, 7, 1), date(year, 12, 31))
    )


def last_half(today: date) -> str:
    """The last half-year that has ended."""
    return f"{today.year - 1}-H2" if today.month <= 6 else f"{today.year}-H1"


def add_months(day: date, count: int) -> date:
    """The same day `count` months later (the month's last day when it has no such day)."""
    index = day.year * 12 + day.month - 1 + count
    first = date(index // 12, index % 12 + 1, 1)
    return first.replace(day=min(day.day, month_end(first).day))


def over_limit(entered: date, end: date) -> bool:
    """Waited over three months: `end` is after the same day three months after `entered`."""
    return end > add_months(entered, STATUTORY_MONTHS)


def mean(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


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


def _hidden(values: dict[Hashable, int], relations: list[Relation], forced: Iterable[Hashable] = ()) -> set:
    return protect(values, relations, primary(values) | set(forced))


def _queue_grid(kinds: list[str], area_ids: list[uuid.UUID]) -> list[Relation]:
    return [Relation(("kind", k), tuple(("area", k, a) for a in area_ids)) for k in kinds]


def _grid_counts(groups: dict[tuple[str, uuid.UUID], list], kinds: list[str], areas: list[uuid.UUID]) -> dict:
    counts: dict[Hashable, int] = {}
    for kind in kinds:
        for area in areas:
            counts[("area", kind, area)] = len(groups.get((kind, area), []))
        counts[("kind", kind)] = sum(counts[("area", kind, a)] for a in areas)
    return counts


def _grid_members(groups: dict[tuple[str, uuid.UUID], list], key: tuple) -> list:
    if key[0] == "area":
        return groups.get((key[1], key[2]), [])
    return [v for (kind, _), values in groups.items() if kind == key[1] for v in values]


# --- clients per unit -----------------------------------------------------------------------------------


async def clients_per_unit(session: AsyncSession, start: date, end: date) -> dict[uuid.UUID, set[uuid.UUID]]:
    """The clients whose residency, booked stay or schedule in each unit overlaps start..end."""
    queries = [
        select(Residency.unit_id, Residency.client_id).where(
            Residency.move_in <= end, or_(Residency.move_out.is_(None), Residency.move_out >= start)
        ),
        select(Stay.unit_id, Stay.client_id).where(
            Stay.status == "booked", Stay.start_date <= end, Stay.end_date >= start
        ),
        select(Schedule.unit_id, Schedule.client_id).where(
            Schedule.valid_from <= end, or_(Schedule.valid_until.is_(None), Schedule.valid_until >= start)
        ),
    ]
    found: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for query in queries:
        for unit_id, client_id in await session.execute(query):
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
    hidden = _hidden(values, relations)
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


@dataclass(frozen=True, slots=True)
class Occupant:
    client_id: uuid.UUID
    unit_id: uuid.UUID
    taker: Taker


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
    absent: dict[tuple[uuid.UUID, uuid.UUID], list[tuple[date, date]]] = defaultdict(list)
    for client_id, unit_id, day in await session.execute(
        select(Attendance.client_id, Attendance.unit_id, Attendance.date).where(
            Attendance.absent_reason.is_not(None), Attendance.date >= first, Attendance.date <= last
        )
    ):
        absent[(client_id, unit_id)].append((day, day))
    for s in (
        await session.execute(
            select(Schedule).where(
                Schedule.valid_from <= last,
                or_(Schedule.valid_until.is_(None), Schedule.valid_until >= first),
            )
        )
    ).scalars():
        gap = tuple(sorted(absent[(s.client_id, s.unit_id)]))
        found.append(
            Occupant(s.client_id, s.unit_id, Taker(s.valid_from, s.valid_until, gap, frozenset(s.weekdays)))
        )
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


# --- queues and waiting times ---------------------------------------------------------------------------


def _grid_rows(
    kinds: list[str],
    areas: list[uuid.UUID],
    make: Callable[[tuple, str, uuid.UUID | None], msgspec.Struct],
) -> list:
    rows = []
    for kind in kinds:
        rows += [make(("area", kind, a), kind, a) for a in areas]
        rows.append(make(("kind", kind), kind, None))
    return rows


def _hide_fields(row: msgspec.Struct, fields: Iterable[str]) -> None:
    for name in fields:
        setattr(row, name, None)
        row.suppressed.append(name)  # type: ignore[attr-defined]


async def queue_report(session: AsyncSession, today: date) -> list[QueueRow]:
    region = await load_region(session)
    groups: dict[tuple[str, uuid.UUID], list[date]] = defaultdict(list)
    for kind, area, entered in await session.execute(
        select(QueueEntry.service_kind, QueueEntry.area_id, QueueEntry.entered_at).where(
            QueueEntry.status.in_(ACTIVE_ENTRY_STATUSES)
        )
    ):
        groups[(kind, area)].append(entered)
    kinds = region.service_kinds + sorted({k for k, _ in groups} - set(region.service_kinds))
    relations = _queue_grid(kinds, region.area_ids)
    waiting = _grid_counts(groups, kinds, region.area_ids)
    hidden = _hidden(waiting, relations)
    over = {k: sum(over_limit(e, today) for e in _grid_members(groups, k)) for k in waiting}
    hidden_over = _hidden(over, relations, hidden)

    def make(key: tuple, kind: str, area: uuid.UUID | None) -> QueueRow:
        days = [(today - e).days for e in _grid_members(groups, key)]
        row = QueueRow(key[0], kind, area, waiting[key], over[key], mean(days), median(days), [])
        if key in hidden:
            _hide_fields(row, ["waiting", "mean_days", "median_days"])
        if key in hidden_over:
            _hide_fields(row, ["over_3_months"])
        return row

    return _grid_rows(kinds, region.area_ids, make)


async def waiting_time_report(session: AsyncSession, half: str, today: date) -> list[WaitingTimeRow]:
    first, last = parse_half(half)
    region = await load_region(session)
    rows = await session.execute(
        select(
            Offer.decided_at,
            Offer.start_date,
            QueueEntry.entered_at,
            QueueEntry.service_kind,
            QueueEntry.area_id,
        )
        .join(QueueEntry, QueueEntry.id == Offer.queue_entry_id)
        .where(Offer.status == "accepted")
    )
    decided: dict[tuple[str, uuid.UUID], list[date]] = defaultdict(list)
    started: dict[tuple[str, uuid.UUID], list[tuple[date, date]]] = defaultdict(list)
    for decided_at, start, entered, kind, area in rows:
        decided_on = date_in_finland(decided_at) if decided_at is not None else None
        if decided_on is not None and first <= decided_on <= last:
            decided[(kind, area)].append(decided_on)
        if first <= start <= min(last, today):
            started[(kind, area)].append((entered, start))
    kinds = list(PLACEABLE_KINDS)
    relations = _queue_grid(kinds, region.area_ids)
    decisions = _grid_counts(decided, kinds, region.area_ids)
    starts = _grid_counts(started, kinds, region.area_ids)
    hidden_decisions = _hidden(decisions, relations)
    hidden_starts = _hidden(starts, relations)
    over = {k: sum(over_limit(e, s) for e, s in _grid_members(started, k)) for k in starts}
    hidden_over = _hidden(over, relations, hidden_starts)

    def make(key: tuple, kind: str, area: uuid.UUID | None) -> WaitingTimeRow:
        days = [(s - e).days for e, s in _grid_members(started, key)]
        row = WaitingTimeRow(
            key[0], kind, area, decisions[key], starts[key], mean(days), median(days), over[key], []
        )
        if key in hidden_decisions:
            _hide_fields(row, ["decisions"])
        if key in hidden_starts:
            _hide_fields(row, ["started", "mean_days", "median_days"])
        if key in hidden_over:
            _hide_fields(row, ["over_3_months"])
        return row

    return _grid_rows(kinds, region.area_ids, make)
