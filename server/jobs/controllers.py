"""Admin view of the background jobs."""

from __future__ import annotations

from litestar import Controller, get

from server.db import utcnow
from server.deps import Context, CurrentPrincipal, DbSession
from server.jobs.status import JobsReport


class JobsAdminController(Controller):
    path = "/api/admin/jobs"
    tags = ["admin", "jobs"]

    @get("/", operation_id="adminJobs")
    async def jobs(self, principal: CurrentPrincipal, db_session: DbSession, context: Context) -> JobsReport:
        """Queue depth, runs under way, retries and failures with their errors, the last run of every scheduled
        job, and the outbox backlog (admins only; docs/jobs.md)."""
        principal.require_role("admin")
        return await context.jobs.report(db_session, utcnow())
