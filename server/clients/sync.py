"""How a client record appears to devices: its data and the scopes it belongs to.

Unit staff get the clients their unit serves (`unit:{id}` for every current service relationship);
counsellors get the clients of their area they work with (`area:{id}` once guidance has touched them).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.clients.models import Client, ClientUnit
from server.sync.changes import ChangeSet
from server.sync.scopes import unit_scope


def client_data(client: Client) -> dict:
    return {
        "id": str(client.id),
        "first_name": client.first_name,
        "last_name": client.last_name,
        "birth_date": client.birth_date.isoformat() if client.birth_date else None,
        "municipality_id": str(client.municipality_id),
        "phone": client.phone,
        "address": client.address,
    }


async def client_scopes(session: AsyncSession, client: Client, extra: set[str] | None = None) -> set[str]:
    today = date.today()
    units = await session.execute(
        select(ClientUnit.unit_id).where(
            ClientUnit.client_id == client.id, or_(ClientUnit.until.is_(None), ClientUnit.until >= today)
        )
    )
    return {unit_scope(u) for u in units.scalars()} | (extra or set())


async def publish_client(
    session: AsyncSession, changes: ChangeSet, client: Client, extra: set[str] | None = None
) -> None:
    changes.put("client", client.id, client_data(client), await client_scopes(session, client, extra))
