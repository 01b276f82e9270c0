"""The coordinators' basis on a client (declared to `server.sync.authorisation`): placing clients is their
task, so a client who is in the queue (an active queue entry or an open place offer) or already in a unit's
care is theirs to place, book and move (`coordinator:placement`). Any other client is not: a coordinator
does not adopt a client by naming it; the client comes through a referral first.
"""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.principal import Principal
from server.clients.models import ClientUnit
from server.clock import today_in_finland
from server.queue.models import ACTIVE_ENTRY_STATUSES, Offer, QueueEntry


async def coordinator_bases(
    session: AsyncSession, principal: Principal, client_ids: set[uuid.UUID]
) -> dict[uuid.UUID, str | None]:
    if not principal.has_role("coordinator") or not client_ids:
        return {}
    ids = sorted(client_ids)
    today = today_in_finland()
    placed = union(
        select(QueueEntry.client_id).where(
            QueueEntry.client_id.in_(ids), QueueEntry.status.in_(ACTIVE_ENTRY_STATUSES)
        ),
        select(Offer.client_id).where(Offer.client_id.in_(ids), Offer.status == "open"),
        select(ClientUnit.client_id).where(
            ClientUnit.client_id.in_(ids), or_(ClientUnit.until.is_(None), ClientUnit.until >= today)
        ),
    )
    return dict.fromkeys((await session.execute(placed)).scalars(), "coordinator:placement")
