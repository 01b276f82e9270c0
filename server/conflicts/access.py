"""What the conflicts declare to `server.sync.authorisation`: the client a conflict is about, and the admins'
basis on a client whose record has an open conflict (resolving conflicts is their task;
`admin:conflict_resolution`). Conflicts of other records name no client.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.principal import Principal
from server.conflicts.models import Conflict


async def clients_of_conflicts(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    rows = await session.execute(
        select(Conflict.id, Conflict.record_id).where(
            Conflict.id.in_(sorted(ids)), Conflict.record_type == "client"
        )
    )
    return {conflict_id: uuid.UUID(record_id) for conflict_id, record_id in rows}


async def admin_bases(
    session: AsyncSession, principal: Principal, client_ids: set[uuid.UUID]
) -> dict[uuid.UUID, str | None]:
    if not principal.has_role("admin") or not client_ids:
        return {}
    rows = await session.execute(
        select(Conflict.record_id).where(
            Conflict.record_type == "client",
            Conflict.status == "open",
            Conflict.record_id.in_(sorted(str(c) for c in client_ids)),
        )
    )
    return {uuid.UUID(record_id): "admin:conflict_resolution" for record_id in rows.scalars()}
