"""Admin routes: the possible duplicates to decide, and the merges made.

Admins have no basis to read client records; a possible duplicate gives them what deciding it needs: names,
birth dates, municipality, whether an identity code is known (never the code) and where each record came
from. Every client listed is logged (`possible_duplicate`, `read`, `admin:possible_duplicate:{id}`).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.params import QueryParameter
from sqlalchemy import select
from sqlalchemy.orm import aliased

from server.access_log import service as access_log
from server.clients.models import Client, ClientIdentity, ClientMerge
from server.db import begin_write
from server.deps import CurrentPrincipal, DbSession
from server.sbm_import.models import ImportedRecord, PossibleDuplicate

MAX_LIMIT = 200


class DuplicateClient(msgspec.Struct):
    id: uuid.UUID
    first_name: str
    last_name: str
    birth_date: date | None
    municipality_id: uuid.UUID
    has_identity_code: bool
    sources: list[str]
    """`system:source id` of each imported row that became this client."""


class DuplicateOut(msgspec.Struct):
    id: uuid.UUID
    reason: str
    found_at: datetime
    system: str | None
    clients: list[DuplicateClient]


class MergeOut(msgspec.Struct):
    merged_client_id: uuid.UUID
    survivor_id: uuid.UUID
    merged_at: datetime
    merged_by: uuid.UUID
    summary: dict


class DuplicatesController(Controller):
    path = "/api/admin"
    tags = ["admin"]

    @get("/duplicates", operation_id="possibleDuplicates")
    async def duplicates(
        self,
        principal: CurrentPrincipal,
        db_session: DbSession,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = 50,
    ) -> list[DuplicateOut]:
        """Possible duplicates (same normalised name and birth date, no identity codes to tell them apart),
        oldest first; each pair is decided by `client.merge`, or left when they are two people."""
        principal.require_role("admin")
        await begin_write(db_session)
        one, other = aliased(Client), aliased(Client)
        rows = (
            await db_session.execute(
                select(PossibleDuplicate, one, other)
                .join(one, one.id == PossibleDuplicate.client_id)
                .join(other, other.id == PossibleDuplicate.other_client_id)
                .order_by(PossibleDuplicate.found_at, PossibleDuplicate.id)
                .limit(limit)
            )
        ).all()
        ids = sorted({c.id for _, a, b in rows for c in (a, b)})
        coded = set(
            await db_session.scalars(
                select(ClientIdentity.client_id).where(
                    ClientIdentity.client_id.in_(ids), ClientIdentity.identity_code.is_not(None)
                )
            )
        )
        sources: dict[uuid.UUID, list[str]] = {}
        for system, source_id, record_id in await db_session.execute(
            select(ImportedRecord.system, ImportedRecord.source_id, ImportedRecord.record_id)
            .where(ImportedRecord.kind == "client", ImportedRecord.record_id.in_(ids))
            .order_by(ImportedRecord.system, ImportedRecord.source_id)
        ):
            sources.setdefault(record_id, []).append(f"{system}:{source_id}")
        answer, accesses = [], []
        for pair, a, b in rows:
            basis = f"admin:possible_duplicate:{pair.id}"
            clients = []
            for c in (a, b):
                clients.append(
                    DuplicateClient(
                        c.id,
                        c.first_name,
                        c.last_name,
                        c.birth_date,
                        c.municipality_id,
                        c.id in coded,
                        sources.get(c.id, []),
                    )
                )
                accesses.append(
                    access_log.Access(
                        "possible_duplicate", "read", basis, client_id=c.id, record_id=str(pair.id)
                    )
                )
            answer.append(DuplicateOut(pair.id, pair.reason, pair.found_at, pair.system, clients))
        if accesses:
            await access_log.record(db_session, principal.actor("admin"), accesses)
        return answer

    @get("/merges", operation_id="clientMerges")
    async def merges(
        self,
        principal: CurrentPrincipal,
        db_session: DbSession,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = 50,
    ) -> list[MergeOut]:
        """The merges made, newest first: who, when, and what moved (rows per table)."""
        principal.require_role("admin")
        rows = await db_session.scalars(
            select(ClientMerge)
            .order_by(ClientMerge.merged_at.desc(), ClientMerge.merged_client_id)
            .limit(limit)
        )
        return [
            MergeOut(r.merged_client_id, r.survivor_id, r.merged_at, r.merged_by, r.summary) for r in rows
        ]
