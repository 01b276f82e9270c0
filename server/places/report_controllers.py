"""Routes: statistics of places and queues, as JSON or CSV (`?format=csv`, or `Accept: text/csv`).

- `GET /api/places/statistics/clients?from=&to=` — clients per unit, area and kind in a period;
- `GET /api/places/statistics/occupancy?from=YYYY-MM&to=YYYY-MM` — occupancy per unit, area and month;
(The queue and the §26 waiting times answer under the same path: `server.queue.report_controllers`.)

Coordinators and admins see the region (filters `area_id`, `kind`, `unit_id` pick rows); unit staff see the
unit rows of their own units in the first two. Every figure is protected (`server.suppression`): a
hidden figure is `null` in JSON and named in the row's `suppressed`, and `..` in CSV. The queries are in
`server.places.reports`; no client data leaves here, so nothing is written to the access log.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.params import FromQuery, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from server import months
from server.accounts.principal import Principal
from server.accounts.scopes import scopes_for
from server.clock import today_in_finland
from server.deps import CurrentPrincipal, DbSession
from server.errors import Forbidden
from server.places import reports
from server.report_responses import Format, FromMonth, ToMonth, respond
from server.statistics import snapshots


class ClientsReport(msgspec.Struct):
    start: date = msgspec.field(name="from")
    end: date = msgspec.field(name="to")
    rows: list[reports.ClientsRow] = []


class OccupancyReport(msgspec.Struct):
    start: str = msgspec.field(name="from")
    end: str = msgspec.field(name="to")
    rows: list[reports.OccupancyRow] = []


async def visible_units(
    session: AsyncSession, principal: Principal, *, unit_staff: bool
) -> set[uuid.UUID] | None:
    """None: the whole region (coordinators, admins); else the units a unit-staff member works in. 403 else."""
    principal.require_user()
    if principal.has_role("coordinator", "admin"):
        return None
    if unit_staff and principal.has_role("unit_staff"):
        units = {uuid.UUID(s[5:]) for s in await scopes_for(session, principal) if s.startswith("unit:")}
        if units:
            return units
    raise Forbidden(
        "These statistics are for coordinators and admins" + (" and unit staff." if unit_staff else ".")
    )


def pick(rows: Sequence[Any], units: set[uuid.UUID] | None, **filters: Any) -> list[Any]:
    """The rows matching every given filter; for unit staff only the rows of their units."""
    if units is not None:
        wanted = filters.get("unit_id")
        if wanted is not None and wanted not in units:
            raise Forbidden("You see the statistics of your own units only.")
        rows = [r for r in rows if r.level == "unit" and r.unit_id in units]
    for name, value in filters.items():
        if value is not None:
            rows = [r for r in rows if getattr(r, name) == value]
    return list(rows)


class PlacesStatisticsController(Controller):
    path = "/api/places/statistics"
    tags = ["statistics"]

    @get("/clients", operation_id="placesClientStatistics")
    async def clients(
        self,
        request: Request[Any, Any, Any],
        principal: CurrentPrincipal,
        db_session: DbSession,
        start: Annotated[date | None, QueryParameter(name="from")] = None,
        end: Annotated[date | None, QueryParameter(name="to")] = None,
        area_id: FromQuery[uuid.UUID | None] = None,
        kind: FromQuery[str | None] = None,
        unit_id: FromQuery[uuid.UUID | None] = None,
        fmt: Format = "json",
    ) -> Response[ClientsReport]:
        """Clients per unit, area and kind whose service overlaps from..to (this month by default). Suppressed."""
        units = await visible_units(db_session, principal, unit_staff=True)
        start = start or today_in_finland().replace(day=1)
        end = end or months.month_end(start)
        rows = pick(
            await reports.clients_report(db_session, start, end),
            units,
            area_id=area_id,
            kind=kind,
            unit_id=unit_id,
        )
        return respond(
            request, fmt, ClientsReport(start, end, rows), rows, reports.ClientsRow, f"clients-{start}-{end}"
        )

    @get("/occupancy", operation_id="placesOccupancyStatistics")
    async def occupancy(
        self,
        request: Request[Any, Any, Any],
        principal: CurrentPrincipal,
        db_session: DbSession,
        start: FromMonth = None,
        end: ToMonth = None,
        area_id: FromQuery[uuid.UUID | None] = None,
        kind: FromQuery[str | None] = None,
        unit_id: FromQuery[uuid.UUID | None] = None,
        fmt: Format = "json",
    ) -> Response[OccupancyReport]:
        """Capacity days, occupied days and occupancy rate per unit, area and kind, month by month. Suppressed."""
        units = await visible_units(db_session, principal, unit_staff=True)
        first, last = months.month_span(start, end, today_in_finland())
        rows = pick(
            await snapshots.report("places.occupancy")(db_session, first, last),
            units,
            area_id=area_id,
            kind=kind,
            unit_id=unit_id,
        )
        span = (first.strftime("%Y-%m"), last.strftime("%Y-%m"))
        return respond(
            request,
            fmt,
            OccupancyReport(*span, rows),
            rows,
            reports.OccupancyRow,
            f"occupancy-{span[0]}-{span[1]}",
        )
