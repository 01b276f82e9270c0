"""Routes: guidance statistics as JSON or CSV (`?format=csv`, or `Accept: text/csv`).

- `GET /api/assessments/statistics/on-time?from=&to=` — statutory assessments started on time;
- `GET /api/assessments/statistics/durations?from=&to=` — days from contact to decision to service start.

For counsellors (their supervisors included), coordinators and admins: shared views, so every figure is
protected (`server.assessments.statistics`): hidden figures are `null` in JSON and named in `suppressed`,
`..` in CSV. Filters `area_id`, `counsellor_id` / `handler_id` pick rows after protection. No client data
leaves here, so nothing is written to the access log.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.params import FromQuery

from server.accounts.models import GUIDANCE_ROLES
from server.accounts.principal import Principal
from server.assessments import statistics
from server.clock import today_in_finland
from server.deps import CurrentPrincipal, DbSession
from server.months import month_span
from server.report_responses import Format, FromMonth, ToMonth, respond


class OnTimeReport(msgspec.Struct):
    start: str = msgspec.field(name="from")
    end: str = msgspec.field(name="to")
    rows: list[statistics.OnTimeRow] = []


class DurationsReport(msgspec.Struct):
    start: str = msgspec.field(name="from")
    end: str = msgspec.field(name="to")
    rows: list[statistics.DurationsRow] = []


def statistics_span(principal: Principal, start: str | None, end: str | None) -> tuple[date, date, str, str]:
    principal.require_role(*GUIDANCE_ROLES, "coordinator", "admin")
    first, last = month_span(start, end, today_in_finland())
    return first, last, first.strftime("%Y-%m"), last.strftime("%Y-%m")


class AssessmentStatisticsController(Controller):
    path = "/api/assessments/statistics"
    tags = ["statistics"]

    @get("/on-time", operation_id="assessmentsOnTime")
    async def on_time(
        self,
        request: Request[Any, Any, Any],
        principal: CurrentPrincipal,
        db_session: DbSession,
        start: FromMonth = None,
        end: ToMonth = None,
        area_id: FromQuery[uuid.UUID | None] = None,
        counsellor_id: FromQuery[uuid.UUID | None] = None,
        fmt: Format = "json",
    ) -> Response[OnTimeReport]:
        """Statutory assessments by month of contact: started on time, late, ended, pending. Suppressed."""
        first, last, a, b = statistics_span(principal, start, end)
        rows = statistics.pick(
            await statistics.on_time_report(db_session, first, last, today_in_finland()),
            area_id=area_id,
            counsellor_id=counsellor_id,
        )
        return respond(request, fmt, OnTimeReport(a, b, rows), rows, statistics.OnTimeRow, f"on-time-{a}-{b}")

    @get("/durations", operation_id="assessmentDurations")
    async def durations(
        self,
        request: Request[Any, Any, Any],
        principal: CurrentPrincipal,
        db_session: DbSession,
        start: FromMonth = None,
        end: ToMonth = None,
        area_id: FromQuery[uuid.UUID | None] = None,
        counsellor_id: FromQuery[uuid.UUID | None] = None,
        fmt: Format = "json",
    ) -> Response[DurationsReport]:
        """Days from contact to decision and to service start, per counsellor, area and month. Suppressed."""
        first, last, a, b = statistics_span(principal, start, end)
        rows = statistics.pick(
            await statistics.durations_report(db_session, first, last, today_in_finland()),
            area_id=area_id,
            counsellor_id=counsellor_id,
        )
        return respond(
            request, fmt, DurationsReport(a, b, rows), rows, statistics.DurationsRow, f"durations-{a}-{b}"
        )
