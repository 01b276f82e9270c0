"""Routes: the admin's access-log search, the chain check, and a client's own extract (703/2023 §11)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.params import FromPath, FromQuery, QueryParameter
from sqlalchemy import select

from server.access_log import service
from server.access_log.models import AccessLogEntry
from server.db import begin_write, utcnow
from server.deps import CurrentPrincipal, DbSession


class AccessLogEntryOut(msgspec.Struct):
    id: int
    at: datetime
    user_id: uuid.UUID | None
    username: str | None
    role: str | None
    device_id: uuid.UUID | None
    client_id: uuid.UUID | None
    record_type: str
    record_id: str | None
    operation: str
    basis: str
    hash: str


class AccessLogPage(msgspec.Struct):
    entries: list[AccessLogEntryOut]
    next_after_id: int | None


def entry_out(e: AccessLogEntry) -> AccessLogEntryOut:
    return AccessLogEntryOut(
        e.id,
        e.at,
        e.user_id,
        e.username,
        e.role,
        e.device_id,
        e.client_id,
        e.record_type,
        e.record_id,
        e.operation,
        e.basis,
        e.hash,
    )


class AccessLogController(Controller):
    path = "/api/admin/access-log"
    tags = ["admin"]

    @get("/", operation_id="searchAccessLog")
    async def search(
        self,
        principal: CurrentPrincipal,
        db_session: DbSession,
        client_id: FromQuery[uuid.UUID | None] = None,
        user_id: FromQuery[uuid.UUID | None] = None,
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
        after_id: Annotated[int, QueryParameter(ge=0, le=2**63 - 1)] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    ) -> AccessLogPage:
        """Search entries by client, user and period, oldest first (admin). Searching by client is logged."""
        principal.require_role("admin")
        if client_id is not None:
            await service.record(
                db_session,
                principal.actor("admin"),
                [service.Access("access_log", "search", "admin:access_log_supervision", client_id=client_id)],
            )
        query = select(AccessLogEntry).where(AccessLogEntry.id > after_id)
        if client_id is not None:
            query = query.where(AccessLogEntry.client_id == client_id)
        if user_id is not None:
            query = query.where(AccessLogEntry.user_id == user_id)
        if since is not None:
            query = query.where(AccessLogEntry.at >= since)
        if until is not None:
            query = query.where(AccessLogEntry.at < until)
        rows = (await db_session.execute(query.order_by(AccessLogEntry.id).limit(limit + 1))).scalars().all()
        page = [entry_out(e) for e in rows[:limit]]
        return AccessLogPage(page, page[-1].id if len(rows) > limit else None)

    @get("/extract/{client_id:uuid}", operation_id="accessLogExtract")
    async def extract(
        self, client_id: FromPath[uuid.UUID], principal: CurrentPrincipal, db_session: DbSession
    ) -> list[AccessLogEntryOut]:
        """Who has seen or changed this client's data in the last two years: the client's right to know."""
        principal.require_role("admin")
        await begin_write(db_session)
        since = utcnow() - timedelta(days=2 * 365 + 1)
        rows = (
            (
                await db_session.execute(
                    select(AccessLogEntry)
                    .where(AccessLogEntry.client_id == client_id, AccessLogEntry.at >= since)
                    .order_by(AccessLogEntry.id)
                )
            )
            .scalars()
            .all()
        )
        await service.record(
            db_session,
            principal.actor("admin"),
            [service.Access("access_log", "extract", "client_request:703/2023:11", client_id=client_id)],
        )
        return [entry_out(e) for e in rows]

    @get("/verify", operation_id="verifyAccessLog")
    async def verify(self, principal: CurrentPrincipal, db_session: DbSession) -> service.ChainReport:
        """Recompute the hash chain over every entry (admin)."""
        principal.require_role("admin")
        return await service.verify(db_session)
