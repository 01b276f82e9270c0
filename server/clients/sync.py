"""How a client record appears to devices: its data and the scopes it belongs to.

Unit staff get the clients their unit serves (`unit:{id}` for every current service relationship);
counsellors get the clients of their area they work with (`area:{id}` for every `client_areas` row, written
once guidance has touched them: a contact linked to them, a creation by a counsellor); a responsible
counsellor (`client_services`, kind `counsellor`) gets the client in `user:{id}` wherever they work. Close
persons, consents and service relationships are published with the client, into the same scopes; the
identity code (`client_identity`) into the same scopes without the `unit:` ones, so that no unit tablet ever
holds it (`server.clients.identity`).
"""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.scopes import area_scope, unit_scope, user_scope
from server.clients.models import (
    Client,
    ClientArea,
    ClientIdentity,
    ClientService,
    ClientUnit,
    ClosePerson,
    Consent,
)
from server.clock import today_in_finland
from server.sync.changes import ChangeSet


def client_data(client: Client) -> dict:
    return {
        "id": str(client.id),
        "first_name": client.first_name,
        "last_name": client.last_name,
        "birth_date": client.birth_date.isoformat() if client.birth_date else None,
        "municipality_id": str(client.municipality_id),
        "phone": client.phone,
        "address": client.address,
        "email": client.email,
        "languages": list(client.languages or []),
        "service_language": client.service_language,
        # What `client.update` sends back as `base_version` (the change log's `version` is not used).
        "revision": client.revision or 1,
    }


async def client_scopes(session: AsyncSession, client: Client, extra: set[str] | None = None) -> set[str]:
    today = today_in_finland()
    units = await session.execute(
        select(ClientUnit.unit_id).where(
            ClientUnit.client_id == client.id, or_(ClientUnit.until.is_(None), ClientUnit.until >= today)
        )
    )
    areas = await session.execute(select(ClientArea.area_id).where(ClientArea.client_id == client.id))
    counsellors = await session.execute(
        select(ClientService.counsellor_id).where(
            ClientService.client_id == client.id,
            ClientService.kind == "counsellor",
            or_(ClientService.until.is_(None), ClientService.until >= today),
        )
    )
    return (
        {unit_scope(u) for u in units.scalars()}
        | {area_scope(a) for a in areas.scalars()}
        | {user_scope(c) for c in counsellors.scalars() if c is not None}
        | (extra or set())
    )


async def remember_area(session: AsyncSession, client_id: uuid.UUID, area_id: uuid.UUID) -> bool:
    """Give the area's counsellors the client (a guidance relationship); True if it is new."""
    if await session.get(ClientArea, (client_id, area_id)) is not None:
        return False
    session.add(ClientArea(client_id=client_id, area_id=area_id))
    await session.flush()
    return True


async def publish_client(
    session: AsyncSession, changes: ChangeSet, client: Client, extra: set[str] | None = None
) -> None:
    """Put the client and its record's parts (close persons, consents, services) into its current scopes."""
    scopes = await client_scopes(session, client, extra)
    changes.put("client", client.id, client_data(client), scopes)
    await publish_parts(session, changes, client.id, scopes)
    code = await session.scalar(
        select(ClientIdentity.identity_code).where(ClientIdentity.client_id == client.id)
    )
    if code is not None:
        changes.put("client_identity", client.id, identity_data(client.id, code), identity_scopes(scopes))
    else:
        changes.delete("client_identity", client.id)


def identity_scopes(scopes: set[str]) -> set[str]:
    """Where the identity code goes: the client's scopes, never a unit's (a shared tablet's)."""
    return {s for s in scopes if not s.startswith("unit:")}


def identity_data(client_id: uuid.UUID, code: str) -> dict:
    return {"id": str(client_id), "client_id": str(client_id), "identity_code": code}


async def publish_parts(
    session: AsyncSession, changes: ChangeSet, client_id: uuid.UUID, scopes: set[str]
) -> None:
    """The close persons, consents and service relationships travel with the client record."""
    for model, data, kind in (
        (ClosePerson, close_person_data, "close_person"),
        (Consent, consent_data, "consent"),
        (ClientService, client_service_data, "client_service"),
    ):
        for row in (await session.execute(select(model).where(model.client_id == client_id))).scalars():
            changes.put(kind, row.id, data(row), scopes)


def close_person_data(person: ClosePerson) -> dict:
    return {
        "id": str(person.id),
        "client_id": str(person.client_id),
        "name": person.name,
        "relation": person.relation,
        "phone": person.phone,
        "email": person.email,
        "address": person.address,
        "primary_contact": person.primary_contact,
        "note": person.note,
        "removed_at": person.removed_at.isoformat() if person.removed_at else None,
    }


def consent_data(consent: Consent) -> dict:
    return {
        "id": str(consent.id),
        "client_id": str(consent.client_id),
        "purpose": consent.purpose,
        "given_on": consent.given_on.isoformat(),
        "given_by": consent.given_by,
        "given_by_name": consent.given_by_name,
        "note": consent.note,
        "recorded_by": str(consent.recorded_by) if consent.recorded_by else None,
        "withdrawn_on": consent.withdrawn_on.isoformat() if consent.withdrawn_on else None,
        "withdrawn_by": str(consent.withdrawn_by) if consent.withdrawn_by else None,
    }


def client_service_data(service: ClientService) -> dict:
    return {
        "id": str(service.id),
        "client_id": str(service.client_id),
        "kind": service.kind,
        "counsellor_id": str(service.counsellor_id) if service.counsellor_id else None,
        "service": service.service,
        "area_id": str(service.area_id),
        "since": service.since.isoformat(),
        "until": service.until.isoformat() if service.until else None,
    }
