"""Routes: statistics of the queues, beside the places statistics and for the same readers (coordinators and
admins), as JSON or CSV (`?format=csv`, or `Accept: text/csv`):

- `GET /api/places/statistics/queue` — the queue today: length and days waiting per service kind and area;
- `GET /api/places/statistics/waiting-times?half=YYYY-H1` — the Elderly Services Act §26 half-year report.

Every figure is protected (`server.suppression`); no client data leaves here, so nothing is access-logged.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.params import FromQuery, QueryParameter

from server import months
from server.clock import today_in_finland
from server.deps import CurrentPrincipal, DbSession
from server.places.report_controllers import pick, visible_units
from server.queue import reports
from server.report_responses import Format, respond


class QueueReport(msgspec.Struct):
    date: date
    rows: list[reports.QueueRow]


class WaitingTimeReport(msgspec.Struct):
    half: str
    start: date = msgspec.field(name="from")
    end: date = msgspec.field(name="to")
    rows: list[reports.WaitingTimeRow] = []


class QueueStatisticsController(Controller):
    path = "/api/places/statistics"
    tags = ["statistics"]

    @get("/queue", operation_id="placesQueueStatistics")
    async def queue(
        self,
        request: Request[Any, Any, Any],
        principal: CurrentPrincipal,
        db_session: DbSession,
        service_kind: FromQuery[str | None] = None,
        area_id: FromQuery[uuid.UUID | None] = None,
        fmt: Format = "json",
    ) -> Response[QueueReport]:
        """The queue today per service kind and area: length, mean/median days waiting, over 3 months. Suppressed."""
        await visible_units(db_session, principal, unit_staff=False)
        today = today_in_finland()
        rows = pick(
            await reports.queue_report(db_session, today), None, service_kind=service_kind, area_id=area_id
        )
        return respond(request, fmt, QueueReport(today, rows), rows, reports.QueueRow, f"queue-{today}")

    @get("/waiting-times", operation_id="placesWaitingTimeReport")
    async def waiting_times(
        self,
        request: Request[Any, Any, Any],
        principal: CurrentPrincipal,
        db_session: DbSession,
        half: Annotated[str | None, QueryParameter(min_length=7, max_length=7)] = None,
        service_kind: FromQuery[str | None] = None,
        area_id: FromQuery[uuid.UUID | None] = None,
        fmt: Format = "json",
    ) -> Response[WaitingTimeReport]:
        """The §26 half-year waiting-time report (the last ended half-year by default). Suppressed."""
        await visible_units(db_session, principal, unit_staff=False)
        today = today_in_finland()
        half = half or months.last_half(today)
        first, last = months.parse_half(half)
        rows = pick(
            await reports.waiting_time_report(db_session, half, today),
            None,
            service_kind=service_kind,
            area_id=area_id,
        )
        return respond(
            request,
            fmt,
            WaitingTimeReport(half, first, last, rows),
            rows,
            reports.WaitingTimeRow,
            f"waiting-times-{half}",
        )
