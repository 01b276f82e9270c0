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
from server.clients.models import BreakGlassGrant, Client, ClientArea, ClientService, ClientUnit, Consent
from server.clock import today_in_finland
from server.db import utcnow
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
    grants = await glass_broken(session, principal, {client.id})
    if client.id in grants:
        return principal.actor().role or "unknown", grants[client.id]
    return None


async def glass_broken(
    session: AsyncSession, principal: Principal, client_ids: set[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The author's break-the-glass grants in force (`server.clients.break_glass`), by client."""
    if principal.user_id is None or not client_ids:
        return {}
    rows = await session.execute(
        select(BreakGlassGrant.client_id, BreakGlassGrant.id)
        .where(
            BreakGlassGrant.client_id.in_(sorted(client_ids)),
            BreakGlassGrant.user_id == principal.user_id,
            BreakGlassGrant.expires_at > utcnow(),
        )
        .order_by(BreakGlassGrant.client_id, BreakGlassGrant.expires_at)
    )
    return {client_id: f"break_glass:{grant_id}" for client_id, grant_id in rows}


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


async def client_bases(
    session: AsyncSession, principal: Principal, client_ids: set[uuid.UUID]
) -> dict[uuid.UUID, str | None]:
    """`basis_for_client` for many clients at once (a push's declarations): every id that is a client,
    with the author's basis on it or None. The same rules, in one query per kind of basis."""
    ids = sorted(client_ids)
    rows = await session.execute(
        select(Client.id, Municipality.area_id)
        .join(Municipality, Municipality.id == Client.municipality_id)
        .where(Client.id.in_(ids))
    )
    home = dict(rows.all())
    found: dict[uuid.UUID, str | None] = dict.fromkeys(home)
    if not home:
        return found
    today = today_in_finland()
    unit_grants = principal.grants_for("unit_staff")
    if unit_grants:
        serving = await session.execute(
            select(ClientUnit.client_id, ClientUnit.unit_id, Unit.area_id)
            .join(Unit, Unit.id == ClientUnit.unit_id)
            .where(
                ClientUnit.client_id.in_(list(home)),
                or_(ClientUnit.until.is_(None), ClientUnit.until >= today),
            )
            .order_by(ClientUnit.client_id, ClientUnit.unit_id)
        )
        for client_id, unit_id, area_id in serving:
            if found[client_id] is None and any(
                g.region_wide or g.unit_id == unit_id or (g.unit_id is None and g.area_id == area_id)
                for g in unit_grants
            ):
                found[client_id] = f"service_relationship:unit:{unit_id}"
    guidance = principal.grants_for(*GUIDANCE_ROLES)
    if any(g.region_wide for g in guidance):
        return {c: basis or "guidance:region" for c, basis in found.items()}  # nobody left without one
    areas = {g.area_id for g in guidance if g.area_id is not None}
    if areas:
        related = await session.execute(
            select(ClientArea.client_id, ClientArea.area_id).where(
                ClientArea.client_id.in_(list(home)), ClientArea.area_id.in_(sorted(areas))
            )
        )
        linked: dict[uuid.UUID, uuid.UUID] = {}
        for client_id, area_id in related:
            linked.setdefault(client_id, area_id)
        for client_id in found:
            area = home[client_id] if home[client_id] in areas else linked.get(client_id)
            if found[client_id] is None and area is not None:
                found[client_id] = f"guidance:area:{area}"
    if principal.has_role("counsellor") and principal.user_id is not None:
        open_ = [c for c, basis in found.items() if basis is None]
        if open_:
            named = await session.execute(
                select(ClientService.client_id, ClientService.id)
                .where(
                    ClientService.client_id.in_(open_),
                    ClientService.kind == "counsellor",
                    ClientService.counsellor_id == principal.user_id,
                    ClientService.since <= today,
                    or_(ClientService.until.is_(None), ClientService.until >= today),
                )
                .order_by(ClientService.client_id, ClientService.id)
            )
            for client_id, service_id in named:
                found[client_id] = found[client_id] or f"service_relationship:counsellor:{service_id}"
            consents = await session.execute(
                select(Consent.client_id, Consent.id)
                .where(
                    Consent.client_id.in_([c for c in open_ if found[c] is None]),
                    Consent.purpose == "cross_service_summary",
                    Consent.given_on <= today,
                    or_(Consent.withdrawn_on.is_(None), Consent.withdrawn_on > today),
                )
                .order_by(Consent.client_id, Consent.given_on.desc(), Consent.id)
            )
            for client_id, consent_id in consents:
                found[client_id] = found[client_id] or f"consent:{consent_id}"
    broken = await glass_broken(session, principal, {c for c, basis in found.items() if basis is None})
    return {c: basis or broken.get(c) for c, basis in found.items()}
