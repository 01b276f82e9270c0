"""How a client record appears to devices: its data and the scopes it belongs to.

Unit staff get the clients their unit serves (`unit:{id}` for every current service relationship);
counsellors get the clients of their area they work with (`area:{id}` for every `client_areas` row, written
once guidance has touched them: a contact linked to them, a creation by a counsellor).
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.clients.models import Client, ClientArea, ClientUnit
from server.sync.changes import ChangeSet
from server.sync.scopes import area_scope, unit_scope


def client_data(client: Client) -> dict:
    return {
        "id": str(client.id),
        "first_name": client.first_name,
        "last_name": client.last_name,
        "birth_date": client.birth_date.isoformat() if client.birth_date else None,
        "municipality_id": str(client.municipality_id),
        "phone": client.phone,
        "address": client.address,
        # What `client.update` sends back as `base_version` (the change log's `version` is not used).
        "revision": client.revision or 1,
    }


async def client_scopes(session: AsyncSession, client: Client, extra: set[str] | None = None) -> set[str]:
    today = date.today()
    units = await session.execute(
        select(ClientUnit.unit_id).where(
            ClientUnit.client_id == client.id, or_(ClientUnit.until.is_(None), ClientUnit.until >= today)
        )
    )
    areas = await session.execute(select(ClientArea.area_id).where(ClientArea.client_id == client.id))
    return (
        {unit_scope(u) for u in units.scalars()} | {area_scope(a) for a in areas.scalars()} | (extra or set())
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
    changes.put("client", client.id, client_data(client), await client_scopes(session, client, extra))
