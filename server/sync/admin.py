"""Admin view of sync health: which tablets are behind, failing, or on an old build."""

from __future__ import annotations

from litestar import Controller, get

from server.deps import Context, CurrentPrincipal, DbSession
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
