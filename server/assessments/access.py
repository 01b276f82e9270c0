"""The responsible counsellor's basis on a client (declared to `server.sync.authorisation`): a PTA process
handed to a counsellor is theirs to carry on wherever they work (`assessment_counsellor:{id}`), while it is
open."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.principal import Principal
from server.assessments.models import Assessment


async def counsellor_bases(
    session: AsyncSession, principal: Principal, client_ids: set[uuid.UUID]
) -> dict[uuid.UUID, str | None]:
    if principal.user_id is None or not principal.has_role("counsellor") or not client_ids:
        return {}
    rows = await session.execute(
        select(Assessment.client_id, Assessment.id)
        .where(
            Assessment.client_id.in_(sorted(client_ids)),
            Assessment.counsellor_id == principal.user_id,
            Assessment.status != "closed",
        )
        .order_by(Assessment.client_id, Assessment.id)
    )
    return {client_id: f"assessment_counsellor:{assessment_id}" for client_id, assessment_id in rows}
