"""Admin view of sync health: which tablets are behind, failing, or on an old build, and activity over time."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import QueryParameter

from server.deps import Context, CurrentPrincipal, DbSession
from server.sync.activity import MAX_HOURS, SyncActivity, sync_activity
from server.sync.health import SyncHealthReport, sync_health


class SyncHealthController(Controller):
    path = "/api/admin/sync-health"
    tags = ["admin", "sync"]

    @get("/", operation_id="syncHealth")
    async def sync_health(
        self, principal: CurrentPrincipal, db_session: DbSession, context: Context
    ) -> SyncHealthReport:
        """Every device with its replicas: last push and pull, reported health, counts and trouble flags."""
        principal.require_role("admin")
        return await sync_health(db_session, context.settings.stale_after_minutes)

    @get("/history", operation_id="syncActivity")
    async def history(
        self,
        principal: CurrentPrincipal,
        db_session: DbSession,
        hours: Annotated[int, QueryParameter(ge=1, le=MAX_HOURS)] = 24,
    ) -> SyncActivity:
        """Mutations received per hour (applied, rejected, in conflict) and devices pushing (admin)."""
        principal.require_role("admin")
        return await sync_activity(db_session, hours)
