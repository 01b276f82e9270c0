"""Routes: guidance statistics, as JSON or CSV (`?format=csv`, or `Accept: text/csv`).

- `GET /api/guidance/statistics/contacts?from=YYYY-MM&to=YYYY-MM` — contacts by channel, caller type,
  contact type, topic and resolution per month, area, service point and counsellor;
- `GET /api/guidance/statistics/first-contact?from=&to=` — first contacts and those resolved at them;
- `GET /api/guidance/statistics/events?from=&to=` — events and participants per kind.

Filters `level`, `area_id`, `service_point_id`, `counsellor_id` (and `dimension` for contacts) pick rows.
Counsellors see the region's rows and their own areas' rows; region-wide counsellors, supervisors and
admins see everything. Every figure is protected first (`server.contacts.statistics`): a hidden figure is
`null` in JSON and named in the row's `suppressed`, and `..` in CSV. No client data: nothing to log.
Closed months come from their nightly snapshots when current (`server.statistics.snapshots`).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.params import FromQuery
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.guidance import guidance_areas, require_area
from server.accounts.principal import Principal
from server.clock import today_in_finland
from server.contacts import statistics
from server.deps import CurrentPrincipal, DbSession
from server.months import month_span
from server.report_responses import Format, FromMonth, ToMonth, respond
from server.statistics import snapshots


class ContactsStatistics(msgspec.Struct):
    start: str = msgspec.field(name="from")
    end: str = msgspec.field(name="to")
    rows: list[statistics.ContactCountRow] = []


class FirstContactStatistics(msgspec.Struct):
    start: str = msgspec.field(name="from")
    end: str = msgspec.field(name="to")
    rows: list[statistics.FirstContactRow] = []


class EventStatistics(msgspec.Struct):
    start: str = msgspec.field(name="from")
    end: str = msgspec.field(name="to")
    rows: list[statistics.EventRow] = []


def pick(rows: Sequence[Any], areas: set[uuid.UUID] | None, **filters: Any) -> list[Any]:
    """Rows matching every given filter; a counsellor of some areas sees the region rows and theirs."""
    require_area(areas, filters.get("area_id"))
    if areas is not None:
        rows = [r for r in rows if r.level == "region" or r.area_id in areas]
    for name, value in filters.items():
        if value is not None:
            rows = [r for r in rows if getattr(r, name) == value]
    return list(rows)


async def serve(
    request: Request[Any, Any, Any],
    principal: Principal,
    session: AsyncSession,
    window: tuple[str | None, str | None, str],
    report: Callable[[AsyncSession, date, date], Awaitable[list[Any]]],
    body: type[msgspec.Struct],
    row_type: type,
    name: str,
    **filters: Any,
) -> Response[Any]:
    """Authorise, compute the protected report for the period, filter it, answer JSON or CSV."""
    areas = guidance_areas(principal, admins=True)
    first, last = month_span(window[0], window[1], today_in_finland())
    rows = pick(await report(session, first, last), areas, **filters)
    span = (first.strftime("%Y-%m"), last.strftime("%Y-%m"))
    return respond(request, window[2], body(*span, rows), rows, row_type, f"{name}-{span[0]}-{span[1]}")


class GuidanceStatisticsController(Controller):
    path = "/api/guidance/statistics"
    tags = ["statistics"]

    @get("/contacts", operation_id="guidanceContactStatistics")
    async def contacts(
        self,
        request: Request[Any, Any, Any],
        principal: CurrentPrincipal,
        db_session: DbSession,
        start: FromMonth = None,
        end: ToMonth = None,
        level: FromQuery[str | None] = None,
        dimension: FromQuery[str | None] = None,
        area_id: FromQuery[uuid.UUID | None] = None,
        service_point_id: FromQuery[uuid.UUID | None] = None,
        counsellor_id: FromQuery[uuid.UUID | None] = None,
        fmt: Format = "json",
    ) -> Response[ContactsStatistics]:
        """Contacts by channel, caller type, contact type, topic and resolution, month by month. Suppressed."""
        return await serve(
            request,
            principal,
            db_session,
            (start, end, fmt),
            snapshots.report("guidance.contacts"),
            ContactsStatistics,
            statistics.ContactCountRow,
            "contacts",
            area_id=area_id,
            level=level,
            dimension=dimension,
            service_point_id=service_point_id,
            counsellor_id=counsellor_id,
        )

    @get("/first-contact", operation_id="guidanceFirstContactStatistics")
    async def first_contact(
        self,
        request: Request[Any, Any, Any],
        principal: CurrentPrincipal,
        db_session: DbSession,
        start: FromMonth = None,
        end: ToMonth = None,
        level: FromQuery[str | None] = None,
        area_id: FromQuery[uuid.UUID | None] = None,
        service_point_id: FromQuery[uuid.UUID | None] = None,
        counsellor_id: FromQuery[uuid.UUID | None] = None,
        fmt: Format = "json",
    ) -> Response[FirstContactStatistics]:
        """First contacts and the share resolved at the first contact, month by month. Suppressed."""
        return await serve(
            request,
            principal,
            db_session,
            (start, end, fmt),
            snapshots.report("guidance.first_contact"),
            FirstContactStatistics,
            statistics.FirstContactRow,
            "first-contact",
            area_id=area_id,
            level=level,
            service_point_id=service_point_id,
            counsellor_id=counsellor_id,
        )

    @get("/events", operation_id="guidanceEventStatistics")
    async def events(
        self,
        request: Request[Any, Any, Any],
        principal: CurrentPrincipal,
        db_session: DbSession,
        start: FromMonth = None,
        end: ToMonth = None,
        level: FromQuery[str | None] = None,
        kind: FromQuery[str | None] = None,
        area_id: FromQuery[uuid.UUID | None] = None,
        service_point_id: FromQuery[uuid.UUID | None] = None,
        counsellor_id: FromQuery[uuid.UUID | None] = None,
        fmt: Format = "json",
    ) -> Response[EventStatistics]:
        """Events and participants per kind, month by month (participants suppressed)."""
        return await serve(
            request,
            principal,
            db_session,
            (start, end, fmt),
            snapshots.report("guidance.events"),
            EventStatistics,
            statistics.EventRow,
            "events",
            area_id=area_id,
            level=level,
            kind=kind,
            service_point_id=service_point_id,
            counsellor_id=counsellor_id,
        )
