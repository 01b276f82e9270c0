"""Routes: reading contacts. A contact naming a client is client data: each one listed is logged.

- `GET /api/contacts?area_id=&from=&to=&client_id=&limit=` — the newest contacts of the caller's areas
  (`from`/`to` are dates in Finland, inclusive);
- `GET /api/contacts/{contact_id}` — one contact.

Counsellors and supervisors of the contact's area (and region-wide ones) may read; admins, coordinators and unit
staff may not (`server.accounts.guidance`). Every listed contact with a client writes one access-log entry
(basis `guidance:area:{area_id}`) in the same transaction: if the log cannot be written, the read fails.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.params import FromPath, FromQuery, QueryParameter
from sqlalchemy import select

from server.access_log import service as access_log
from server.accounts.guidance import guidance_areas, guidance_role, require_area
from server.accounts.principal import Principal
from server.clock import FINLAND
from server.contacts.models import Contact
from server.contacts.mutations import contact_data
from server.db import begin_write
from server.deps import CurrentPrincipal, DbSession
from server.errors import NotFound


class ContactList(msgspec.Struct):
    contacts: list[dict]


def finnish_day_start(day: date) -> datetime:
    return datetime.combine(day, time(), FINLAND).astimezone(UTC)


async def log_reads(session, principal: Principal, rows: list[Contact]) -> None:
    await access_log.record(
        session,
        principal.actor(guidance_role(principal)),
        [
            access_log.Access(
                "contact", "read", f"guidance:area:{r.area_id}", client_id=r.client_id, record_id=str(r.id)
            )
            for r in rows
            if r.client_id is not None
        ],
    )


class ContactsController(Controller):
    path = "/api/contacts"
    tags = ["guidance"]

    @get("/", operation_id="listContacts")
    async def list_contacts(
        self,
        principal: CurrentPrincipal,
        db_session: DbSession,
        area_id: FromQuery[uuid.UUID | None] = None,
        client_id: FromQuery[uuid.UUID | None] = None,
        start: Annotated[date | None, QueryParameter(name="from")] = None,
        end: Annotated[date | None, QueryParameter(name="to")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
    ) -> ContactList:
        """The newest contacts of the caller's areas, newest first. Contacts naming a client are logged."""
        areas = guidance_areas(principal, admins=False)
        require_area(areas, area_id)
        await begin_write(db_session)
        query = select(Contact).order_by(Contact.occurred_at.desc(), Contact.id).limit(limit)
        if area_id is not None:
            query = query.where(Contact.area_id == area_id)
        elif areas is not None:
            query = query.where(Contact.area_id.in_(areas))
        if client_id is not None:
            query = query.where(Contact.client_id == client_id)
        if start is not None:
            query = query.where(Contact.occurred_at >= finnish_day_start(start))
        if end is not None:
            query = query.where(Contact.occurred_at < finnish_day_start(end + timedelta(days=1)))
        rows = list((await db_session.execute(query)).scalars())
        await log_reads(db_session, principal, rows)
        return ContactList([contact_data(r) for r in rows])

    @get("/{contact_id:uuid}", operation_id="getContact")
    async def get_contact(
        self, contact_id: FromPath[uuid.UUID], principal: CurrentPrincipal, db_session: DbSession
    ) -> dict:
        """One contact of the caller's areas. Logged when it names a client."""
        areas = guidance_areas(principal, admins=False)
        await begin_write(db_session)
        row = await db_session.get(Contact, contact_id)
        if row is None:
            raise NotFound("No such contact.")
        require_area(areas, row.area_id)
        await log_reads(db_session, principal, [row])
        return contact_data(row)
