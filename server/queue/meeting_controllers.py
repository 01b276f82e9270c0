"""Route: the SAS meeting view (`GET /api/queue/meeting`), for coordinators only, never on a shared tablet.

New queue entries since the last meeting (`since`, default 14 days ago), entries whose situation changed
since then, and the longest waiting (`limit`, default 10); filter by `service_kind` and `area_id`. The
query is `server.queue.meeting.meeting_view`; every entry shown is written to the access log (basis
`coordinator:placement`) in the same transaction as the read.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated

from litestar import Controller, get
from litestar.params import FromQuery, QueryParameter

from server.clock import today_in_finland
from server.db import begin_write
from server.deps import CurrentPrincipal, DbSession
from server.errors import Forbidden, KaariError
from server.queue.meeting import DEFAULT_DAYS, DEFAULT_LIMIT, MeetingView, log_meeting, meeting_view


class SasMeetingController(Controller):
    path = "/api/queue/meeting"
    tags = ["queue"]

    @get("/", operation_id="getSasMeeting")
    async def meeting(
        self,
        principal: CurrentPrincipal,
        db_session: DbSession,
        since: FromQuery[date | None] = None,
        service_kind: FromQuery[str | None] = None,
        area_id: FromQuery[uuid.UUID | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = DEFAULT_LIMIT,
    ) -> MeetingView:
        """New, changed and longest-waiting queue entries for the SAS meeting (coordinators). Logged."""
        principal.require_role("coordinator")
        if principal.device_kind == "shared":
            raise Forbidden("The queue is not shown on a shared tablet: a tablet holds only its unit's data.")
        today = today_in_finland()
        since = since or today - timedelta(days=DEFAULT_DAYS)
        if since > today:
            raise KaariError(
                "since cannot be in the future.", code="invalid_date", details={"since": str(since)}
            )
        await begin_write(db_session)
        view = await meeting_view(db_session, since, today, service_kind, area_id, limit)
        await log_meeting(db_session, principal.actor("coordinator"), view)
        return view
