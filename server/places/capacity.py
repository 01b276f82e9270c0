"""Capacity, occupancy and free places of a unit per date.

The first half is pure (no I/O: it is given the rows); the second half loads a unit's rows, takes the
unit's capacity lock and publishes `free_places` records.

Rules, per unit and date:

- **capacity** = the unit's places (day activity: `weekday_capacity` of that weekday, 0 on a day it is
  not open), replaced by the latest `absolute` capacity change covering the date, plus every `delta`
  change covering it; never below 0.
- **occupied** = booked stays covering the date (`start_date`..`end_date`, both inclusive) + residents
  (`move_in`..`move_out` inclusive, open-ended while `move_out` is null) who are not absent that date
  + day-activity schedules (`valid_from`..`valid_until`, open-ended while null) on their weekdays, except
  on a date the client has a recorded absence (`attendance.mark_absent`) in the unit
  + open place offers covering the date (`server.queue`, `UnitState.holds`): an offer HOLDS its place until
  it is accepted (the hold becomes the stay or residency), declined or expired.
- **free** = capacity - occupied. A mutation may never make a date over capacity that was not, or more over
  capacity than it was (`overbooked`): that is the rule every places mutation is checked against.

The capacity lock (`lock_unit`): on PostgreSQL `SELECT … FROM units WHERE id = :unit FOR UPDATE`, taken first
in every places mutation and held until the push transaction commits, so two pushes booking the same unit
run one after the other and the second one reads the first one's stay (READ COMMITTED takes a fresh
snapshot per statement, after the lock is granted). On SQLite `FOR UPDATE` is not rendered and not needed:
the push transaction began with BEGIN IMMEDIATE (`server.db.begin_write`), so it holds the database's
single write lock from its first statement; no other writer can interleave between the check and the
insert, in this process or any other.

Several units in one transaction (`lock_units`): always in ascending unit id, in one statement, so two
transactions that both need units A and B cannot each hold one and wait for the other (a deadlock, which
PostgreSQL breaks by failing one of them). A mutation that touches two units (`residency.move`) locks both
that way, and the `prepare` hooks of the places mutations lock every unit a push batch will need, in that
order, before the first handler runs (`server.places.mutations.prepare_unit_locks`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.scopes import PLACES, unit_scope
from server.places.models import CapacityChange, Residency, ResidencyAbsence, Stay
from server.reference.models import Unit
from server.sync.changes import ChangeSet

HORIZON_DAYS = 60
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FREE_PLACES_NAMESPACE = uuid.UUID("3d0c6a52-8f0e-5b8e-a3f1-5c7e0d2b9a41")


# --- pure -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnitPlaces:
    id: uuid.UUID
    kind: str
    capacity: int
    weekday_capacity: dict[str, int] | None = None
    opening_days: list[str] | None = None
    area_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class Change:
    """A capacity change; `order` sorts them by creation (the latest `absolute` one wins)."""

    start: date
    end: date
    mode: str  # "delta" or "absolute"
    places: int
    order: Any = 0


@dataclass(frozen=True, slots=True)
class Taker:
    """Something that takes one place from `start` through `end` (None: open-ended), except in `gaps`;
    with `weekdays`, only on those weekdays (a day-activity schedule)."""

    start: date
    end: date | None
    gaps: tuple[tuple[date, date], ...] = ()
    weekdays: frozenset[str] | None = None

    def occupies(self, day: date) -> bool:
        if day < self.start or (self.end is not None and day > self.end):
            return False
        if self.weekdays is not None and WEEKDAYS[day.weekday()] not in self.weekdays:
            return False
        return not any(a <= day <= b for a, b in self.gaps)


@dataclass(frozen=True, slots=True)
class DayPlaces:
    capacity: int
    occupied: int

    @property
    def free(self) -> int:
        return self.capacity - self.occupied


@dataclass
class UnitState:
    unit: UnitPlaces
    changes: list[Change] = field(default_factory=list)
    takers: list[Taker] = field(default_factory=list)
    holds: list[Taker] = field(default_factory=list)  # open place offers: occupied like takers

    @property
    def occupants(self) -> list[Taker]:
        return self.takers + self.holds


# --- what else takes places ------------------------------------------------------------------------------
#
# What takes a place in a unit besides the stays and residencies that places owns, declared by the domains
# that own it: day activity's weekly schedules (a recorded absence is a gap) and the queue's open offers,
# which hold their place until answered. Capacity (`capacity.load_state`) and the places reports
# (`reports.occupants`, `reports.clients_per_unit`) ask every declared source, so places never imports the
# domains whose rows take its places.


@dataclass(frozen=True, slots=True)
class Occupant:
    client_id: uuid.UUID
    unit_id: uuid.UUID
    taker: Taker


class PlaceTakers(Protocol):
    holds: bool
    """True: these hold a place for someone not yet served (open offers): they count against free places,
    not as occupancy in reports."""

    async def of_unit(self, session: AsyncSession, unit_id: uuid.UUID) -> list[Taker]: ...

    async def occupants(self, session: AsyncSession, first: date, last: date) -> list[Occupant]: ...

    async def served(
        self, session: AsyncSession, start: date, end: date
    ) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """(unit_id, client_id) of the clients served in a unit some day of start..end."""
        ...


_SOURCES: list[PlaceTakers] = []


def declare(source: PlaceTakers) -> None:
    """Add a source (the composition root does, from the domains' declarations); once each."""
    if source not in _SOURCES:
        _SOURCES.append(source)


def sources() -> list[PlaceTakers]:
    return list(_SOURCES)


def base_capacity(unit: UnitPlaces, day: date) -> int:
    if unit.weekday_capacity:
        weekday = WEEKDAYS[day.weekday()]
        if unit.opening_days is not None and weekday not in unit.opening_days:
            return 0
        return int(unit.weekday_capacity.get(weekday, 0))
    return unit.capacity


def capacity_on(unit: UnitPlaces, changes: Iterable[Change], day: date) -> int:
    covering = [c for c in changes if c.start <= day <= c.end]
    absolutes = [c for c in covering if c.mode == "absolute"]
    places = max(absolutes, key=lambda c: c.order).places if absolutes else base_capacity(unit, day)
    places += sum(c.places for c in covering if c.mode == "delta")
    return max(places, 0)


def occupied_on(takers: Iterable[Taker], day: date) -> int:
    return sum(1 for t in takers if t.occupies(day))


def day_places(state: UnitState, days: Iterable[date]) -> dict[date, DayPlaces]:
    return {
        day: DayPlaces(capacity_on(state.unit, state.changes, day), occupied_on(state.occupants, day))
        for day in days
    }


def date_range(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def horizon(today: date) -> list[date]:
    """The dates free places are published for: today and the next 60 days."""
    return date_range(today, today + timedelta(days=HORIZON_DAYS))


def last_event(states: Iterable[UnitState]) -> date | None:
    """The last date on which anything changes; every later date looks like the day after it."""
    found: list[date] = []
    for state in states:
        for c in state.changes:
            found += [c.start, c.end]
        for t in state.occupants:
            found.append(t.start)
            if t.end is not None:
                found.append(t.end)
            for a, b in t.gaps:
                found += [a, b]
    return max(found, default=None)


def days_to_check(start: date, end: date | None, states: Sequence[UnitState], today: date) -> list[date]:
    """`start`..`end`; an open end runs to the day after the last event (or the horizon), which stands for
    every date after it (the week after it when a taker or the capacity follows weekdays)."""
    if end is None:
        last = last_event(states) or start
        weekly = any(s.unit.weekday_capacity or any(t.weekdays for t in s.takers) for s in states)
        after = timedelta(days=7 if weekly else 1)
        end = max(last + after, today + timedelta(days=HORIZON_DAYS), start)
    return date_range(start, end)


def overbooked(before: UnitState, after: UnitState, days: Iterable[date]) -> list[date]:
    """The dates `after` is over capacity and more so than `before` (a mutation must not cause that)."""
    days = list(days)
    old, new = day_places(before, days), day_places(after, days)
    return [d for d in days if new[d].free < 0 and new[d].free < old[d].free]


# --- loading, the lock, publishing --------------------------------------------------------------------------


def freed_dates(before: UnitState, after: UnitState, today: date) -> list[date]:
    """The dates of the published window on which `after` has a free place and more than `before` had."""
    days = horizon(today)
    old, new = day_places(before, days), day_places(after, days)
    return [d for d in days if new[d].free > 0 and new[d].free > old[d].free]


def free_places_id(unit_id: uuid.UUID | str, day: date) -> uuid.UUID:
    return uuid.uuid5(FREE_PLACES_NAMESPACE, f"free_places:{uuid.UUID(str(unit_id))}:{day.isoformat()}")


def unit_places(unit: Unit) -> UnitPlaces:
    return UnitPlaces(
        unit.id, unit.kind, unit.capacity, unit.weekday_capacity, unit.opening_days, unit.area_id
    )


async def lock_unit(session: AsyncSession, unit_id: uuid.UUID) -> Unit | None:
    """Take the unit's capacity lock (PostgreSQL row lock; on SQLite the push already holds the write lock)."""
    return (
        await session.execute(
            select(Unit).where(Unit.id == unit_id).with_for_update().execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()


async def lock_units(session: AsyncSession, unit_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Unit]:
    """Take the capacity locks of several units in ascending id order (PostgreSQL applies `ORDER BY` before
    `FOR UPDATE`, so the rows are locked in that order); returns the units found."""
    ids = sorted({uuid.UUID(str(u)) for u in unit_ids})
    if not ids:
        return {}
    units = (
        await session.execute(
            select(Unit)
            .where(Unit.id.in_(ids))
            .order_by(Unit.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalars()
    return {unit.id: unit for unit in units}


async def lock_all_units(session: AsyncSession) -> dict[uuid.UUID, Unit]:
    """Every unit's capacity lock, in ascending id (the nightly jobs that republish all units)."""
    return await lock_units(session, (await session.scalars(select(Unit.id))).all())


async def load_state(session: AsyncSession, unit: Unit) -> UnitState:
    others = sources()
    changes = (
        await session.execute(
            select(CapacityChange)
            .where(CapacityChange.unit_id == unit.id)
            .execution_options(populate_existing=True)
        )
    ).scalars()
    stays = (
        await session.execute(
            select(Stay.start_date, Stay.end_date).where(Stay.unit_id == unit.id, Stay.status == "booked")
        )
    ).all()
    residencies = (
        await session.execute(
            select(Residency.id, Residency.move_in, Residency.move_out).where(Residency.unit_id == unit.id)
        )
    ).all()
    gaps: dict[uuid.UUID, list[tuple[date, date]]] = {}
    if residencies:
        absences = await session.execute(
            select(ResidencyAbsence.residency_id, ResidencyAbsence.start_date, ResidencyAbsence.end_date)
            .join(Residency, Residency.id == ResidencyAbsence.residency_id)
            .where(Residency.unit_id == unit.id)
        )
        for residency_id, start, end in absences:
            gaps.setdefault(residency_id, []).append((start, end))
    return UnitState(
        unit_places(unit),
        [Change(c.start_date, c.end_date, c.mode, c.places, (c.created_at, str(c.id))) for c in changes],
        [Taker(s, e) for s, e in stays]
        + [Taker(r.move_in, r.move_out, tuple(sorted(gaps.get(r.id, [])))) for r in residencies]
        + [t for source in others if not source.holds for t in await source.of_unit(session, unit.id)],
        [t for source in others if source.holds for t in await source.of_unit(session, unit.id)],
    )


def free_places_data(unit_id: uuid.UUID, day: date, places: DayPlaces) -> dict[str, Any]:
    return {
        "unit_id": str(unit_id),
        "date": day.isoformat(),
        "capacity": places.capacity,
        "occupied": places.occupied,
        "free": places.free,
    }


def publish_free_places(changes: ChangeSet, state: UnitState, today: date) -> None:
    """Put the unit's `free_places` records for [today, today+60] (unchanged ones cost nothing: the change
    set skips a put whose data and scopes are what the record already has), and drop last week's."""
    unit_id = state.unit.id
    scopes = [PLACES, unit_scope(unit_id)]
    for day, places in day_places(state, horizon(today)).items():
        changes.put(
            "free_places", free_places_id(unit_id, day), free_places_data(unit_id, day, places), scopes
        )
    for back in range(1, 8):
        changes.delete("free_places", free_places_id(unit_id, today - timedelta(days=back)))


async def refresh_unit(session: AsyncSession, changes: ChangeSet, unit: Unit, today: date) -> UnitState:
    state = await load_state(session, unit)
    publish_free_places(changes, state, today)
    return state


async def refresh_all(session: AsyncSession, changes: ChangeSet, today: date) -> None:
    """Publish every unit's free places (seeding; and once a day, to move the 60-day window on)."""
    for unit in (await session.execute(select(Unit).order_by(Unit.code))).scalars():
        await refresh_unit(session, changes, unit, today)


async def alternatives(session: AsyncSession, unit: Unit, days: Sequence[date]) -> list[dict[str, Any]]:
    """Units of the same kind in the same area with at least one free place on every one of `days`."""
    return (await alternatives_for(session, unit, [days]))[0]


async def alternatives_for(
    session: AsyncSession, unit: Unit, periods: Sequence[Sequence[date]]
) -> list[list[dict[str, Any]]]:
    """`alternatives` for each of several periods, reading each other unit's rows once (a series)."""
    others = (
        await session.execute(
            select(Unit)
            .where(Unit.kind == unit.kind, Unit.area_id == unit.area_id, Unit.id != unit.id)
            .order_by(Unit.code)
        )
    ).scalars()
    states = [(other, await load_state(session, other)) for other in others]
    found: list[list[dict[str, Any]]] = []
    for days in periods:
        found.append([])
        for other, state in states:
            least = min((p.free for p in day_places(state, days).values()), default=0)
            if least >= 1:
                found[-1].append(
                    {"unit_id": str(other.id), "code": other.code, "labels": other.labels, "free": least}
                )
    return found
