"""The handler's basis on a client (declared to `server.sync.authorisation`): a counsellor an application
is handed to works on it wherever they are (`application_handler:{id}`), while it is open."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.principal import Principal
from server.applications.models import OPEN_STATUSES, Application


async def handler_bases(
    session: AsyncSession, principal: Principal, client_ids: set[uuid.UUID]
) -> dict[uuid.UUID, str | None]:
    if principal.user_id is None or not principal.has_role("counsellor") or not client_ids:
        return {}
    rows = await session.execute(
        select(Application.client_id, Application.id)
        .where(
            Application.client_id.in_(sorted(client_ids)),
            Application.handler_id == principal.user_id,
            Application.status.in_(OPEN_STATUSES),
        )
        .order_by(Application.client_id, Application.id)
    )
    return {client_id: f"application_handler:{app_id}" for client_id, app_id in rows}
