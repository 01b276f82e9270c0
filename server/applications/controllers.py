"""Route: applications per handler as JSON or CSV (`?format=csv`, or `Accept: text/csv`).

`GET /api/assessments/statistics/applications?from=YYYY-MM&to=YYYY-MM`: beside the other guidance statistics
(`server.assessments.statistics_controllers`), for the same readers and protected the same way.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.params import FromQuery

from server.applications import statistics
from server.assessments.statistics import pick
from server.assessments.statistics_controllers import statistics_span
from server.deps import CurrentPrincipal, DbSession
from server.report_responses import Format, FromMonth, ToMonth, respond


class ApplicationsReport(msgspec.Struct):
    start: str = msgspec.field(name="from")
    end: str = msgspec.field(name="to")
    rows: list[statistics.ApplicationsRow] = []


class ApplicationStatisticsController(Controller):
    path = "/api/assessments/statistics"
    tags = ["statistics"]

    @get("/applications", operation_id="applicationsPerHandler")
    async def applications(
        self,
        request: Request[Any, Any, Any],
        principal: CurrentPrincipal,
        db_session: DbSession,
        start: FromMonth = None,
        end: ToMonth = None,
        area_id: FromQuery[uuid.UUID | None] = None,
        handler_id: FromQuery[uuid.UUID | None] = None,
        fmt: Format = "json",
    ) -> Response[ApplicationsReport]:
        """Applications received, decided and open per handler, area and month. Suppressed."""
        first, last, a, b = statistics_span(principal, start, end)
        rows = pick(
            await statistics.applications_report(db_session, first, last),
            area_id=area_id,
            handler_id=handler_id,
        )
        return respond(
            request,
            fmt,
            ApplicationsReport(a, b, rows),
            rows,
            statistics.ApplicationsRow,
            f"applications-{a}-{b}",
        )
