"""Opening and publishing conflicts; the per-record-type resolvers `conflict.resolve` calls.

A domain that has `manual` fields registers a :class:`Resolver` for its record type: who may resolve
(the record's scopes), and how a chosen value is validated, applied and re-published.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from server.accounts.scopes import ADMIN, user_scope
from server.conflicts.models import Conflict
from server.sync.changes import to_data
from server.sync.mutations import MutationContext

CONFLICT_NAMESPACE = uuid.UUID("3d0f8e0c-57a1-5c7e-9b64-1f2a9e6c4b10")


@dataclass(frozen=True)
class Resolver:
    """`scopes(ctx, record_id)`: the record's current scopes, None if it is gone.
    `apply(ctx, record_id, field, value)`: validate (reject), write, re-publish and log the chosen value."""

    scopes: Callable[[MutationContext, str], Awaitable[set[str] | None]]
    apply: Callable[[MutationContext, str, str, Any], Awaitable[None]]


RESOLVERS: dict[str, Resolver] = {}


def register_resolver(record_type: str, resolver: Resolver) -> None:
    RESOLVERS[record_type] = resolver


def conflict_id_for(mutation_id: uuid.UUID, field: str) -> uuid.UUID:
    """Derived from the mutation and the field, so the author's device can name it before the server answers."""
    return uuid.uuid5(CONFLICT_NAMESPACE, f"{mutation_id}:{field}")


def conflict_data(row: Conflict) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "record_type": row.record_type,
        "record_id": row.record_id,
        "field": row.field,
        "kept_value": row.kept_value,
        "proposed_value": row.proposed_value,
        "base_version": row.base_version,
        "author_id": str(row.author_id),
        "mutation_id": str(row.mutation_id),
        "created_at": to_data(row.created_at),
        "status": row.status,
        "resolved_by": str(row.resolved_by) if row.resolved_by else None,
        "resolved_at": to_data(row.resolved_at),
        "resolution": row.resolution,
        "resolved_value": row.resolved_value,
    }


def conflict_scopes(row: Conflict, record_scopes: set[str]) -> set[str]:
    """The contested record's scopes, `admin`, and the author's own `user:` scope."""
    return set(record_scopes) | {ADMIN, user_scope(row.author_id)}


def publish_conflict(ctx: MutationContext, row: Conflict, record_scopes: set[str]) -> None:
    ctx.changes.put("conflict", row.id, conflict_data(row), conflict_scopes(row, record_scopes))


async def open_conflict(
    ctx: MutationContext,
    record_type: str,
    record_id: Any,
    field: str,
    kept: Any,
    proposed: Any,
    record_scopes: set[str],
) -> Conflict:
    """Store a contested field, publish it and mark the mutation's outcome `conflict`."""
    row = Conflict(
        id=conflict_id_for(ctx.envelope.id, field),
        record_type=record_type,
        record_id=str(record_id),
        field=field,
        kept_value=to_data(kept),
        proposed_value=to_data(proposed),
        base_version=ctx.envelope.base_version,
        author_id=ctx.user_id,
        mutation_id=ctx.envelope.id,
        created_at=ctx.now,
        status="open",
    )
    ctx.session.add(row)
    await ctx.session.flush()
    publish_conflict(ctx, row, record_scopes)
    ctx.record_conflict(row.id)
    return row
