"""Routes: finding a client, reading a client record and the client 360 view. Every read is written to the
access log in the same transaction; a refused 360 view is logged too (`read_refused`, committed before the
403). A search answers only clients the caller has a basis to see, and logs each one it names."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.params import FromPath, QueryParameter
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from server import identity_code
from server.access_log import service as access_log
from server.accounts.principal import Principal
from server.accounts.scopes import scopes_for
from server.clients import identity, timeline
from server.clients.access import basis_for_client, summary_consent
from server.clients.models import Client, ClientIdentity, ClientService, ClosePerson, Consent, search_name
from server.clients.sync import client_service_data, close_person_data, consent_data
from server.clock import today_in_finland
from server.db import begin_write
from server.deps import CurrentPrincipal, DbSession
from server.errors import Forbidden, KaariError
from server.sync.authorisation import NO_CLIENT


class ClientOut(msgspec.Struct):
    id: uuid.UUID
    first_name: str
    last_name: str
    birth_date: date | None
    municipality_id: uuid.UUID
    phone: str | None
    address: str | None
    email: str | None = None
    languages: list[str] = []
    service_language: str | None = None
    close_persons: list[dict] = []
    consents: list[dict] = []
    services: list[dict] = []
    identity_code: str | None = None
    """Whole for counsellors and supervisors, masked (`010150-****`) for other readers."""


class ClientHit(msgspec.Struct):
    id: uuid.UUID
    first_name: str
    last_name: str
    birth_year: int | None
    municipality_id: uuid.UUID
    basis: str


SEARCH_HITS = 20
SEARCH_CANDIDATES = 200
"""Names matched before the basis check: a search never reads more client rows than this."""


def _words(q: str) -> list[str]:
    """The query's words, lower-cased, with LIKE's wildcards taken literally."""
    escape = str.maketrans({"\\": "\\\\", "%": "\\%", "_": "\\_"})
    return [w.lower().translate(escape) for w in q.split()]


def search_query(words: list[str]) -> Select[tuple[Client]]:
    """The name candidates of a search: every word within `search_name()`, case-insensitively (ILIKE: on
    PostgreSQL the trigram index `SEARCH_NAME_INDEX` serves it; on SQLite it is `lower(…) LIKE lower(…)`)."""
    query = select(Client).order_by(Client.last_name, Client.first_name, Client.id).limit(SEARCH_CANDIDATES)
    for word in words:
        query = query.where(search_name().ilike(f"%{word}%", escape="\\"))
    return query


class TimelineOut(msgspec.Struct):
    client_id: uuid.UUID
    basis: str
    consent_id: uuid.UUID | None
    withheld: list[str]
    """Kinds of items this reader's basis does not cover (shown with a cross-service summary consent)."""
    items: list[timeline.TimelineItem]


async def _parts(db_session: DbSession, model: type, client_id: uuid.UUID, data) -> list[dict]:
    rows = (await db_session.execute(select(model).where(model.client_id == client_id))).scalars()
    return [data(row) for row in rows]


async def readable(
    session: AsyncSession, principal: Principal, client_id: uuid.UUID, record_type: str
) -> tuple[Client, str, str]:
    """The client with the reader's role and basis, or 403. An unknown id and a client without a basis get
    the same answer (an id reveals nothing), and every refusal is logged as `read_refused`."""
    principal.require_user()
    await begin_write(session)
    client = await session.get(Client, client_id)
    found = await basis_for_client(session, principal, client) if client is not None else None
    if client is None or found is None:
        await access_log.record(
            session,
            principal.actor(),
            [access_log.Access(record_type, "read_refused", "none", client_id=client_id)],
        )
        await session.commit()  # the refusal stays in the log although the request fails
        raise Forbidden(NO_CLIENT)
    return client, *found


class ClientsController(Controller):
    path = "/api/clients"
    tags = ["clients"]

    @get("/search", operation_id="searchClients")
    async def search(
        self,
        principal: CurrentPrincipal,
        db_session: DbSession,
        q: Annotated[str, QueryParameter(min_length=2, max_length=100)],
    ) -> list[ClientHit]:
        """Clients whose name contains every word of `q` and whom the caller has a basis to see (at most
        20, by name): for a counsellor also the area's residents guidance has not met, whom no device holds.
        Each client named in the answer is logged (`client_search`) with its basis."""
        principal.require_user()
        words = _words(q)
        if not any(len(w) >= 2 for w in words):
            return []
        await begin_write(db_session)
        query = search_query(words)
        hits: list[ClientHit] = []
        accesses: dict[str | None, list[access_log.Access]] = {}
        for client in (await db_session.execute(query)).scalars():
            found = await basis_for_client(db_session, principal, client)
            if found is None:
                continue
            role, basis = found
            year = client.birth_date.year if client.birth_date else None
            hits.append(
                ClientHit(client.id, client.first_name, client.last_name, year, client.municipality_id, basis)
            )
            accesses.setdefault(role, []).append(
                access_log.Access(
                    "client_search", "read", basis, client_id=client.id, record_id=str(client.id)
                )
            )
            if len(hits) == SEARCH_HITS:
                break
        for role, entries in accesses.items():
            await access_log.record(db_session, principal.actor(role), entries)
        return hits

    @get("/by-identity-code", operation_id="findClientByIdentityCode")
    async def by_identity_code(
        self,
        principal: CurrentPrincipal,
        db_session: DbSession,
        code: Annotated[str, QueryParameter(min_length=1, max_length=20)],
    ) -> list[ClientHit]:
        """The client with exactly this identity code: for counsellors and supervisors if they have a basis,
        for admins (who resolve duplicates) always. Every search is logged (`client_identity_search`),
        the one that finds nobody too, so the client can be told who looked for them."""
        principal.require_user()
        admin = principal.has_role("admin")
        if not admin and not principal.has_role("counsellor", "supervisor"):
            raise Forbidden("Searching by identity code is for counsellors, supervisors and admins.")
        try:
            wanted = identity_code.parse(code).code
        except identity_code.InvalidIdentityCode as error:
            raise KaariError(
                str(error), code="invalid_identity_code", status_code=400, details={"reason": error.reason}
            ) from None
        await begin_write(db_session)
        client = await db_session.scalar(
            select(Client).join(ClientIdentity).where(ClientIdentity.identity_code == wanted)
        )
        found = await basis_for_client(db_session, principal, client) if client is not None else None
        if client is not None and found is None and admin:
            found = ("admin", "admin:identity_search")
        if client is None or found is None:
            await access_log.record(
                db_session, principal.actor(), [access_log.Access("client_identity_search", "search", "none")]
            )
            return []
        role, basis = found
        await access_log.record(
            db_session,
            principal.actor(role),
            [
                access_log.Access(
                    "client_identity_search", "read", basis, client_id=client.id, record_id=str(client.id)
                )
            ],
        )
        year = client.birth_date.year if client.birth_date else None
        return [
            ClientHit(client.id, client.first_name, client.last_name, year, client.municipality_id, basis)
        ]

    @get("/{client_id:uuid}", operation_id="getClient")
    async def get_client(
        self, client_id: FromPath[uuid.UUID], principal: CurrentPrincipal, db_session: DbSession
    ) -> ClientOut:
        """One client record with close persons, consents and service relationships, if the caller's role
        and unit or area (or a responsible-counsellor relationship or consent) give a basis. Logged."""
        client, role, basis = await readable(db_session, principal, client_id, "client")
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
            client.email,
            list(client.languages or []),
            client.service_language,
            [
                p
                for p in await _parts(db_session, ClosePerson, client.id, close_person_data)
                if not p["removed_at"]
            ],
            await _parts(db_session, Consent, client.id, consent_data),
            await _parts(db_session, ClientService, client.id, client_service_data),
            identity.shown(await identity.code_of(db_session, client.id), role, basis),
        )

    @get("/{client_id:uuid}/timeline", operation_id="getClientTimeline")
    async def get_timeline(
        self,
        client_id: FromPath[uuid.UUID],
        principal: CurrentPrincipal,
        db_session: DbSession,
        start: Annotated[date | None, QueryParameter(name="from")] = None,
        end: Annotated[date | None, QueryParameter(name="to")] = None,
    ) -> TimelineOut:
        """The client 360 view: contacts, events, assessments, applications, queue, offers, stays,
        residencies and attendance on one timeline, newest first, as far as the caller's basis reaches.
        Logged with its basis; a refusal is logged as `read_refused` and answered 403."""
        client, role, basis = await readable(db_session, principal, client_id, "client_timeline")
        consent_id = await summary_consent(db_session, client.id, today_in_finland())
        if consent_id is not None:
            guidance, care = True, True
            if not basis.startswith("consent:"):
                basis = f"{basis};consent:{consent_id}"
        elif role == "unit_staff":
            scopes = await scopes_for(db_session, principal)
            guidance, care = False, {uuid.UUID(s[5:]) for s in scopes if s.startswith("unit:")}
        else:
            guidance, care = True, False
        items = await timeline.build(
            db_session, client.id, guidance=guidance, care_units=care, start=start, end=end
        )
        withheld = ([] if guidance else list(timeline.GUIDANCE)) + (
            [] if care is not False else list(timeline.CARE)
        )
        await access_log.record(
            db_session,
            principal.actor(role),
            [
                access_log.Access(
                    "client_timeline", "read", basis, client_id=client.id, record_id=str(client.id)
                )
            ],
        )
        return TimelineOut(client.id, basis, consent_id, withheld, items)
