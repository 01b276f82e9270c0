"""On what basis may this user see this client? (STM decree 825/2022: access follows task and service.)

Returns the role and a basis string for the access log, or None. Unit staff see the clients their unit
serves; counsellors and their supervisors see the clients of their area (living in one of its municipalities,
or with a guidance relationship to it in `client_areas`, e.g. through a linked contact); a responsible counsellor named in
`client_services` sees the client wherever they work; and any counsellor may open the record of a client who
has given a `cross_service_summary` consent that is in force (the county's guidance is one service for the
whole region, and the client has agreed to be seen across services). Coordinators and admins see places and
queues, not client records.

Bases, as written to the access log: `service_relationship:unit:{unit_id}`, `guidance:region`,
`guidance:area:{area_id}`, `service_relationship:counsellor:{client_service_id}`, `consent:{consent_id}`.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import GUIDANCE_ROLES
from server.accounts.principal import Principal
from server.clients.models import Client, ClientArea, ClientService, ClientUnit, Consent
from server.clock import today_in_finland
from server.reference.models import Municipality, Unit


async def basis_for_client(
    session: AsyncSession, principal: Principal, client: Client
) -> tuple[str, str] | None:
    today = today_in_finland()
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
    for grant in principal.grants_for(*GUIDANCE_ROLES):
        if grant.region_wide:
            return grant.role, "guidance:region"
        if grant.area_id is not None:
            area_id = (
                await session.execute(
                    select(Municipality.area_id).where(Municipality.id == client.municipality_id)
                )
            ).scalar_one()
            if area_id == grant.area_id:
                return grant.role, f"guidance:area:{area_id}"
            if await session.get(ClientArea, (client.id, grant.area_id)) is not None:
                return grant.role, f"guidance:area:{grant.area_id}"
    if principal.has_role("counsellor") and principal.user_id is not None:
        named = (
            await session.execute(
                select(ClientService.id).where(
                    ClientService.client_id == client.id,
                    ClientService.kind == "counsellor",
                    ClientService.counsellor_id == principal.user_id,
                    ClientService.since <= today,
                    or_(ClientService.until.is_(None), ClientService.until >= today),
                )
            )
        ).scalar()
        if named is not None:
            return "counsellor", f"service_relationship:counsellor:{named}"
        consent_id = await summary_consent(session, client.id, today)
        if consent_id is not None:
            return "counsellor", f"consent:{consent_id}"
    return None


async def summary_consent(session: AsyncSession, client_id: uuid.UUID, today: date) -> uuid.UUID | None:
    """The client's `cross_service_summary` consent in force today (given, not withdrawn), if any."""
    return (
        await session.execute(
            select(Consent.id)
            .where(
                Consent.client_id == client_id,
                Consent.purpose == "cross_service_summary",
                Consent.given_on <= today,
                or_(Consent.withdrawn_on.is_(None), Consent.withdrawn_on > today),
            )
            .order_by(Consent.given_on.desc(), Consent.id)
            .limit(1)
        )
    ).scalar()
