"""Routes: reading a client record. Every read is written to the access log in the same transaction."""

from __future__ import annotations

import uuid
from datetime import date

import msgspec
from litestar import Controller, get
from litestar.params import FromPath

from server.access_log import service as access_log
from server.clients.access import basis_for_client
from server.clients.models import Client
from server.db import begin_write
from server.deps import CurrentPrincipal, DbSession
from server.errors import Forbidden, NotFound


class ClientOut(msgspec.Struct):
    id: uuid.UUID
    first_name: str
    last_name: str
    birth_date: date | None
    municipality_id: uuid.UUID
    phone: str | None
    address: str | None


class ClientsController(Controller):
    path = "/api/clients"
    tags = ["clients"]

    @get("/{client_id:uuid}", operation_id="getClient")
    async def get_client(
        self, client_id: FromPath[uuid.UUID], principal: CurrentPrincipal, db_session: DbSession
    ) -> ClientOut:
        """One client record, if the caller's role and unit or area give a basis to see it. Logged."""
        principal.require_user()
        await begin_write(db_session)
        client = await db_session.get(Client, client_id)
        if client is None:
            raise NotFound("No such client.")
        found = await basis_for_client(db_session, principal, client)
        if found is None:
            raise Forbidden("You have no basis to see this client's data.")
        role, basis = found
        await access_log.record(
            db_session,
            principal.actor(role),
            [access_log.Access("client", "read", basis, client_id=client.id, record_id=str(client.id))],
        )
        return ClientOut(
            client.id,
            client.first_name,
            client.last_name,
            client.birth_date,
            client.municipality_id,
            client.phone,
            client.address,
        )
