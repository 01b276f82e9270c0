"""Merging two client records of one person: what referred to the merged client comes to the survivor.

`move_references` finds every table with a foreign key to `clients.id` in the metadata the domains declare,
so a domain's new table follows a merge without a change here (the clients domain learns of the others'
tables through the metadata, never by importing them). A row whose unique key the survivor already holds
(the same day's attendance, the same area's guidance relationship) is the same fact twice: the survivor's
row stays and the merged one's is dropped, and counted. What devices hold follows the rows: each moved row's
current sync record is put again with the survivor's id, a dropped row's record is deleted, the merged
client's record and identity are deleted, and the survivor is published into the union of both clients'
scopes (`publish_client`), so a device that held either holds the survivor after its next pull.

The access log is append-only: its entries keep the merged id, and `client_merges` names the survivor for
it (`aliases_of`), as for a mutation queued offline against the merged id (`survivors`, the push's
`client_aliases` hook).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Table, and_, delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.clients.models import Client, ClientIdentity, ClientMerge
from server.db import Base
from server.sync.changes import ChangeSet
from server.sync.models import SyncRecord

MAX_CHAIN = 10
"""A survivor merged in turn is followed this far (a merge never names a merged client as survivor, so
chains only grow one merge at a time)."""

# Handled by the merge itself: the identity (one code per person) and the merge rows.
_OWN = {ClientIdentity.__tablename__, ClientMerge.__tablename__}


async def survivors(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """For each id that names a merged client, the client it lives on as (following later merges)."""
    found: dict[uuid.UUID, uuid.UUID] = {}
    wanted = set(ids)
    for _ in range(MAX_CHAIN):
        rows = await session.execute(
            select(ClientMerge.merged_client_id, ClientMerge.survivor_id).where(
                ClientMerge.merged_client_id.in_(sorted(wanted))
            )
        )
        step = dict(rows.tuples().all())
        if not step:
            break
        for origin, current in list(found.items()):
            if current in step:
                found[origin] = step[current]
        for merged, survivor in step.items():
            if merged in ids:
                found.setdefault(merged, survivor)
        wanted = set(step.values())
    return found


async def aliases_of(session: AsyncSession, client_id: uuid.UUID) -> list[uuid.UUID]:
    """The ids merged into this client, directly or through earlier merges (for its access-log history)."""
    found: list[uuid.UUID] = []
    frontier = [client_id]
    for _ in range(MAX_CHAIN):
        rows = await session.scalars(
            select(ClientMerge.merged_client_id).where(ClientMerge.survivor_id.in_(frontier))
        )
        frontier = list(rows)
        if not frontier:
            break
        found += frontier
    return found


def _references() -> list[tuple[Table, str, list[list[str]]]]:
    """(table, column, unique keys holding the column) of every foreign key to `clients.id`."""
    found = []
    for table in Base.metadata.sorted_tables:
        if table.name in _OWN:
            continue
        for column in table.columns:
            if not any(fk.column.table.name == Client.__tablename__ for fk in column.foreign_keys):
                continue
            keys = [
                [c.name for c in constraint.columns]
                for constraint in table.constraints
                if constraint.__class__.__name__ in ("UniqueConstraint", "PrimaryKeyConstraint")
                and column.name in constraint.columns
            ]
            keys += [
                [c.name for c in index.columns]
                for index in table.indexes
                if index.unique and column.name in index.columns
            ]
            found.append((table, column.name, keys))
    return found


async def move_references(
    session: AsyncSession, survivor: uuid.UUID, merged: uuid.UUID
) -> tuple[dict[str, int], dict[str, int], set[str], set[str]]:
    """Point every row of the merged client at the survivor. Returns rows moved and dropped per table, and
    the ids (as text) of the moved and dropped rows that have an `id` (their sync records follow)."""
    moved: dict[str, int] = {}
    dropped: dict[str, int] = {}
    moved_ids: set[str] = set()
    dropped_ids: set[str] = set()
    for table, name, keys in _references():
        column = table.c[name]
        for key in keys:
            others = [c for c in key if c != name]
            if not others:
                continue
            twin = table.alias("twin")
            clash = and_(
                column == merged,
                exists().where(twin.c[name] == survivor, *[twin.c[c] == table.c[c] for c in others]),
            )
            if "id" in table.c:
                dropped_ids |= {str(i) for i in (await session.scalars(select(table.c.id).where(clash)))}
            result = await session.execute(delete(table).where(clash))
            if result.rowcount:
                dropped[table.name] = dropped.get(table.name, 0) + result.rowcount
        if "id" in table.c:
            moved_ids |= {str(i) for i in (await session.scalars(select(table.c.id).where(column == merged)))}
        result = await session.execute(update(table).where(column == merged).values({name: survivor}))
        if result.rowcount:
            moved[table.name] = moved.get(table.name, 0) + result.rowcount
    return moved, dropped, moved_ids, dropped_ids


async def republish_moved(
    session: AsyncSession,
    changes: ChangeSet,
    survivor: uuid.UUID,
    merged: uuid.UUID,
    moved: set[str],
    dropped: set[str],
) -> None:
    """Put the moved rows' sync records again with the survivor's id (their scopes are the rows' own: a
    stay stays in its unit), and delete the dropped rows' records."""
    old, new = str(merged), str(survivor)
    ids = sorted(moved | dropped)
    for start in range(0, len(ids), 500):
        rows = await session.execute(
            select(SyncRecord.record_type, SyncRecord.record_id, SyncRecord.data, SyncRecord.scopes).where(
                SyncRecord.record_id.in_(ids[start : start + 500])
            )
        )
        for record_type, record_id, data, scopes in rows:
            if record_type == "client":
                continue
            if record_id in dropped:
                changes.delete(record_type, record_id)
            elif isinstance(data, dict):
                changes.put(record_type, record_id, _replace(data, old, new), scopes)


def _replace(data: Any, old: str, new: str) -> Any:
    if isinstance(data, dict):
        return {k: _replace(v, old, new) for k, v in data.items()}
    if isinstance(data, list):
        return [_replace(v, old, new) for v in data]
    return new if data == old else data
