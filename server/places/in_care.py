"""Who is in care on a day, per unit: 24h-housing residents and short-term-care stays (issue 4).

A client is **in care** in a unit on a day when
- their residency covers the day (`move_in`..`move_out` inclusive, open while `move_out` is null) and no
  residency absence (hospital, home leave…) covers it — a resident on an absence is listed as **absent**
  with the absence's reason and dates instead; or
- a booked stay covers the day (`start_date`..`end_date`, both days are care days).

These are the takers of `server.places.capacity` (the same rules decide what occupies a place), read for one
day and with the client. **Arriving**: the residency or stay starts that day; **leaving**: it ends that day.
**capacity** is `capacity.capacity_on` (the unit's places with the capacity changes covering the day),
**held** the open place offers covering the day, and **free** = capacity - in care - held: the same figure
as the unit's published `free_places` record of that day.

The queries read every selected unit at once — one statement per kind of row (units, capacity changes,
residencies with their absences, stays, offers, and client names only for the units shown by name) — so
the cost does not grow with a statement per unit.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.clients.models import Client
from server.places.capacity import Change, capacity_on, sources, unit_places
from server.places.models import CapacityChange, Residency, ResidencyAbsence, Stay
from server.reference.models import Area, Unit

IN_CARE_KINDS = ("housing_24h", "short_term_care")


@dataclass(frozen=True, slots=True)
class Absence:
    reason: str
    start: date
    end: date


@dataclass(frozen=True, slots=True)
class Placement:
    """One client's residency or stay in a unit, covering the day."""

    unit_id: uuid.UUID
    client_id: uuid.UUID
    kind: str  # "residency" or "stay"
    id: uuid.UUID
    start: date
    end: date | None
    day: date
    absence: Absence | None = None

    @property
    def arriving(self) -> bool:
        return self.start == self.day

    @property
    def leaving(self) -> bool:
        return self.end == self.day


@dataclass(frozen=True, slots=True)
class Totals:
    in_care: int = 0
    absent: int = 0
    arriving: int = 0  # in care, starting that day
    leaving: int = 0  # in care, ending that day
    capacity: int = 0
    held: int = 0  # open place offers
    free: int = 0

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            *(getattr(self, f) + getattr(other, f) for f in Totals.__dataclass_fields__)  # type: ignore[arg-type]
        )


@dataclass
class UnitDay:
    unit: Unit
    capacity: int
    held: int = 0
    placements: list[Placement] = field(default_factory=list)

    @property
    def present(self) -> list[Placement]:
        return [p for p in self.placements if p.absence is None]

    @property
    def away(self) -> list[Placement]:
        return [p for p in self.placements if p.absence is not None]

    @property
    def totals(self) -> Totals:
        present = self.present
        return Totals(
            in_care=len(present),
            absent=len(self.away),
            arriving=sum(p.arriving for p in present),
            leaving=sum(p.leaving for p in present),
            capacity=self.capacity,
            held=self.held,
            free=self.capacity - len(present) - self.held,
        )


def total(units: Iterable[UnitDay]) -> Totals:
    return sum((u.totals for u in units), Totals())


def unit_ids_query(
    *,
    within: Collection[uuid.UUID] | None = None,
    area_id: uuid.UUID | None = None,
    unit_id: uuid.UUID | None = None,
    kind: str | None = None,
) -> Select[tuple[uuid.UUID]]:
    """The ids of the 24h-housing and short-term-care units matching the filters (`within`: only those)."""
    query = select(Unit.id).where(Unit.kind.in_(IN_CARE_KINDS))
    if within is not None:
        query = query.where(Unit.id.in_(sorted(within)))
    if area_id is not None:
        query = query.where(Unit.area_id == area_id)
    if unit_id is not None:
        query = query.where(Unit.id == unit_id)
    if kind is not None:
        query = query.where(Unit.kind == kind)
    return query


async def in_care(session: AsyncSession, day: date, units_query: Select[tuple[uuid.UUID]]) -> list[UnitDay]:
    """Every unit of `units_query` on `day`, ordered by code, with its placements covering the day."""
    ids = units_query  # used as a subquery: `unit_id IN (SELECT id FROM units WHERE …)`
    units = (await session.execute(select(Unit).where(Unit.id.in_(ids)).order_by(Unit.code))).scalars()
    changes: dict[uuid.UUID, list[Change]] = {}
    for c in (
        await session.execute(
            select(CapacityChange).where(
                CapacityChange.unit_id.in_(ids),
                CapacityChange.start_date <= day,
                CapacityChange.end_date >= day,
            )
        )
    ).scalars():
        changes.setdefault(c.unit_id, []).append(
            Change(c.start_date, c.end_date, c.mode, c.places, (c.created_at, str(c.id)))
        )
    found = {u.id: UnitDay(u, capacity_on(unit_places(u), changes.get(u.id, []), day)) for u in units}

    residencies = await session.execute(
        select(
            Residency.id,
            Residency.unit_id,
            Residency.client_id,
            Residency.move_in,
            Residency.move_out,
            ResidencyAbsence.reason,
            ResidencyAbsence.start_date,
            ResidencyAbsence.end_date,
        )
        .outerjoin(
            ResidencyAbsence,
            and_(
                ResidencyAbsence.residency_id == Residency.id,
                ResidencyAbsence.start_date <= day,
                ResidencyAbsence.end_date >= day,
            ),
        )
        .where(
            Residency.unit_id.in_(ids),
            Residency.move_in <= day,
            or_(Residency.move_out.is_(None), Residency.move_out >= day),
        )
        .order_by(Residency.id, ResidencyAbsence.start_date, ResidencyAbsence.id)
    )
    seen: set[uuid.UUID] = set()
    for rid, unit_id, client_id, move_in, move_out, reason, a_start, a_end in residencies:
        if rid in seen:  # two absences covering the day: one line (the earlier one)
            continue
        seen.add(rid)
        absence = Absence(reason, a_start, a_end) if reason is not None else None
        found[unit_id].placements.append(
            Placement(unit_id, client_id, "residency", rid, move_in, move_out, day, absence)
        )

    stays = await session.execute(
        select(Stay.id, Stay.unit_id, Stay.client_id, Stay.start_date, Stay.end_date).where(
            Stay.unit_id.in_(ids), Stay.status == "booked", Stay.start_date <= day, Stay.end_date >= day
        )
    )
    for sid, unit_id, client_id, start, end in stays:
        found[unit_id].placements.append(Placement(unit_id, client_id, "stay", sid, start, end, day))

    for source in sources():  # open place offers hold places (declared by the queue)
        if source.holds:
            for unit_id in found:  # every unit of the list
                found[unit_id].held += sum(t.occupies(day) for t in await source.of_unit(session, unit_id))
    return list(found.values())


async def areas(session: AsyncSession, area_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Area]:
    if not area_ids:
        return {}
    return {a.id: a for a in (await session.execute(select(Area).where(Area.id.in_(area_ids)))).scalars()}


async def client_names(
    session: AsyncSession, client_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, str]]:
    """{client id: (first name, last name)}: read only for the clients of the units shown by name."""
    if not client_ids:
        return {}
    rows = await session.execute(
        select(Client.id, Client.first_name, Client.last_name).where(Client.id.in_(sorted(client_ids)))
    )
    return {cid: (first, last) for cid, first, last in rows}
