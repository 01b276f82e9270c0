"""Route: who is in care on a day (today in Finland by default), per unit, area and region.

`GET /api/places/in-care?date=&area_id=&unit_id=&kind=` — the 24h-housing and short-term-care units, each
with its totals (in care, absent, arriving, leaving, capacity, held by open offers, free), the totals per
area and for the region; the rules are in `server.places.in_care`.

Who sees what (access follows task and service, docs/tablets.md):

- **unit staff** see their own units (the `unit:{id}` scopes they sync; on a shared tablet only the tablet's
  unit), with the clients by name: in care (arriving / leaving flagged) and absent (reason and dates). The
  area and region totals are over those units only. Another unit's `unit_id`: 403.
- **coordinators and admins** see every unit's figures but no client: placing clients needs free places and
  counts, not who is in a unit (`clients` and `absent` are null). A coordinator who is also staff of a unit
  sees that unit's clients as its staff do. Like the board, the counts may be read on any device.
- anyone else (a counsellor, a device credential alone): 403; no token: 401.

Every client shown by name is written to the access log (record type `in_care`, basis
`service_relationship:unit:{unit_id}`), one entry per client and unit, in the same transaction as the read:
if the log cannot be written, the read fails and returns nothing. Counts alone are not logged.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.params import FromQuery, QueryParameter

from server.access_log import service as access_log
from server.accounts.scopes import scopes_for
from server.clock import today_in_finland
from server.db import begin_write
from server.deps import CurrentPrincipal, DbSession
from server.errors import Forbidden, KaariError, NotFound
from server.places import in_care as q
from server.reference.models import Unit


class InCareAbsence(msgspec.Struct):
    reason: str
    start_date: date
    end_date: date


class InCareClient(msgspec.Struct):
    client_id: uuid.UUID
    first_name: str
    last_name: str
    placement: str  # residency / stay
    placement_id: uuid.UUID
    start_date: date  # move-in or the stay's first day
    end_date: date | None  # move-out (null: open) or the stay's last day
    arriving: bool
    leaving: bool
    absence: InCareAbsence | None = None


class InCareTotals(msgspec.Struct):
    in_care: int
    absent: int
    arriving: int
    leaving: int
    capacity: int
    held: int
    free: int


class InCareUnit(msgspec.Struct):
    unit_id: uuid.UUID
    code: str
    labels: dict[str, str]
    kind: str
    totals: InCareTotals
    clients: list[InCareClient] | None  # null: counts only (not the caller's unit)
    absent: list[InCareClient] | None


class InCareArea(msgspec.Struct):
    area_id: uuid.UUID
    code: str
    labels: dict[str, str]
    totals: InCareTotals
    units: list[InCareUnit]


class InCareReport(msgspec.Struct):
    date: date
    totals: InCareTotals
    areas: list[InCareArea]


def _totals(t: q.Totals) -> InCareTotals:
    return InCareTotals(t.in_care, t.absent, t.arriving, t.leaving, t.capacity, t.held, t.free)


def _client(p: q.Placement, names: dict[uuid.UUID, tuple[str, str]]) -> InCareClient:
    first, last = names[p.client_id]
    absence = InCareAbsence(p.absence.reason, p.absence.start, p.absence.end) if p.absence else None
    return InCareClient(
        p.client_id, first, last, p.kind, p.id, p.start, p.end, p.arriving, p.leaving, absence
    )


class InCareController(Controller):
    path = "/api/places/in-care"
    tags = ["places"]

    @get("/", operation_id="placesInCare")
    async def in_care(
        self,
        principal: CurrentPrincipal,
        db_session: DbSession,
        day: Annotated[date | None, QueryParameter(name="date")] = None,
        area_id: FromQuery[uuid.UUID | None] = None,
        unit_id: FromQuery[uuid.UUID | None] = None,
        kind: FromQuery[str | None] = None,
    ) -> InCareReport:
        """Clients in care, absent, arriving and leaving per 24h-housing and short-term-care unit, with area
        and region totals. Unit staff: their units, by name (logged); coordinators, admins: counts only."""
        principal.require_user()
        day = day or today_in_finland()
        if kind is not None and kind not in q.IN_CARE_KINDS:
            raise KaariError(
                f"kind is one of {', '.join(q.IN_CARE_KINDS)}.", code="invalid_args", details={"kind": kind}
            )
        if principal.has_role("unit_staff"):
            await begin_write(db_session)  # names may be shown: the read and its log in one transaction
        staff_units = {
            uuid.UUID(s[5:]) for s in await scopes_for(db_session, principal) if s.startswith("unit:")
        }
        region = principal.has_role("coordinator", "admin")
        if not region and not staff_units:
            raise Forbidden("This is for the staff of a unit, coordinators and admins.")
        if unit_id is not None:
            unit = await db_session.get(Unit, unit_id)
            if unit is None:
                raise NotFound("No such unit.")
            if not region and unit_id not in staff_units:
                raise Forbidden("You see your own units only.")
            if unit.kind not in q.IN_CARE_KINDS:
                raise KaariError(
                    "This is for 24h-housing and short-term-care units (day activity: the roster).",
                    code="invalid_args",
                    details={"unit_id": str(unit_id), "kind": unit.kind},
                )
        within = None if region else staff_units
        units = await q.in_care(
            db_session, day, q.unit_ids_query(within=within, area_id=area_id, unit_id=unit_id, kind=kind)
        )
        if not region and not units and area_id is None and kind is None:
            raise Forbidden("You work in no 24h-housing or short-term-care unit.")

        named = [u for u in units if u.unit.id in staff_units]
        names = await q.client_names(db_session, {p.client_id for u in named for p in u.placements})
        accesses = [
            access_log.Access(
                "in_care",
                "read",
                f"service_relationship:unit:{u.unit.id}",
                client_id=client_id,
                record_id=f"{u.unit.id}:{day.isoformat()}",
            )
            for u in named
            for client_id in sorted({p.client_id for p in u.placements})
        ]
        if accesses:  # counts alone are not logged (and never touch the log)
            await access_log.record(db_session, principal.actor("unit_staff"), accesses)

        def order(p: q.Placement) -> tuple[str, str, str]:
            first, last = names[p.client_id]
            return (last, first, str(p.client_id))

        areas = await q.areas(db_session, {u.unit.area_id for u in units})
        by_area: dict[uuid.UUID, list[InCareUnit]] = {}
        area_totals: dict[uuid.UUID, q.Totals] = {}
        for u in units:
            shown = u.unit.id in staff_units
            by_area.setdefault(u.unit.area_id, []).append(
                InCareUnit(
                    u.unit.id,
                    u.unit.code,
                    u.unit.labels,
                    u.unit.kind,
                    _totals(u.totals),
                    [_client(p, names) for p in sorted(u.present, key=order)] if shown else None,
                    [_client(p, names) for p in sorted(u.away, key=order)] if shown else None,
                )
            )
            area_totals[u.unit.area_id] = area_totals.get(u.unit.area_id, q.Totals()) + u.totals
        return InCareReport(
            day,
            _totals(q.total(units)),
            [
                InCareArea(a.id, a.code, a.labels, _totals(area_totals[a.id]), by_area[a.id])
                for a in sorted(areas.values(), key=lambda a: a.code)
            ],
        )
