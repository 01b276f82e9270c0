"""On what basis may this user see this client? (STM decree 825/2022: access follows task and service.)

Returns the role and a basis string for the access log, or None. Unit staff see the clients their unit
serves; counsellors see the clients of their area (living in one of its municipalities, or with a guidance
relationship to it in `client_areas`, e.g. through a linked contact); coordinators and admins see places and queues, not
client records.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.principal import Principal
from server.clients.models import Client, ClientArea, ClientUnit
from server.reference.models import Municipality, Unit


async def basis_for_client(
    session: AsyncSession, principal: Principal, client: Client
) -> tuple[str, str] | None:
    today = date.today()
    for grant in principal.grants_for("unit_staff"):
        query = (
            select(ClientUnit.unit_id)
            .join(Unit, Unit.id == ClientUnit.unit_id)
            .where(
                ClientUnit.client_id == client.id, or_(ClientUnit.until.is_(None), ClientUnit.until >= today)
            )
        )
        if grant.unit_id is not None:
            query = query.where(ClientUnit.unit_id == grant.unit_id)
        elif grant.area_id is not None:
            query = query.where(Unit.area_id == grant.area_id)
        unit_id = (await session.execute(query.limit(1))).scalar_one_or_none()
        if unit_id is not None:
            return "unit_staff", f"service_relationship:unit:{unit_id}"
    for grant in principal.grants_for("counsellor"):
        if grant.region_wide:
            return "counsellor", "guidance:region"
        if grant.area_id is not None:
            area_id = (
                await session.execute(
                    select(Municipality.area_id).where(Municipality.id == client.municipality_id)
                )
            ).scalar_one()
            if area_id == grant.area_id:
                return "counsellor", f"guidance:area:{area_id}"
            if await session.get(ClientArea, (client.id, grant.area_id)) is not None:
                return "counsellor", f"guidance:area:{grant.area_id}"
    return None
