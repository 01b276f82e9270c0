"""Recording and verifying the access log.

`record()` runs inside the caller's transaction: the entry commits with the access it describes, or not
at all. If it cannot be written, it raises and the access fails with it.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import msgspec
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.access_log.models import GENESIS_HASH, AccessLogEntry, AccessLogHead
from server.accounts.principal import Actor
from server.db import begin_write, dialect_insert, utcnow


@dataclass(frozen=True)
class Access:
    """What is logged about one access: which client, what record, which operation, on what basis."""

    record_type: str
    operation: str
    basis: str
    client_id: uuid.UUID | None = None
    record_id: str | None = None


def entry_hash(prev_hash: str, entry: AccessLogEntry) -> str:
    fields = [
        entry.id,
        # In UTC, as it is read back: an offline view comes with its tablet's offset (+02:00 in Finland).
        entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
        str(entry.user_id) if entry.user_id else None,
        entry.username,
        entry.role,
        str(entry.device_id) if entry.device_id else None,
        str(entry.client_id) if entry.client_id else None,
        entry.record_type,
        entry.record_id,
        entry.operation,
        entry.basis,
    ]
    return hashlib.sha256(prev_hash.encode() + b"|" + msgspec.json.encode(fields)).hexdigest()


async def record(
    session: AsyncSession, actor: Actor, accesses: Sequence[Access], at: datetime | None = None
) -> list[AccessLogEntry]:
    """Append entries for `accesses` to the chain in the session's transaction."""
    return await record_each(session, [(actor, access) for access in accesses], at)


async def record_each(
    session: AsyncSession, accesses: Sequence[tuple[Actor, Access]], at: datetime | None = None
) -> list[AccessLogEntry]:
    """`record` for accesses by several actors (a notification naming clients to each recipient): one
    head lock and one flush for them all."""
    if not accesses:
        return []
    at = at or utcnow()
    return await record_entries(session, [(actor, access, at) for actor, access in accesses])


async def record_entries(
    session: AsyncSession, entries: Sequence[tuple[Actor, Access, datetime]]
) -> list[AccessLogEntry]:
    """Append entries, each with its own actor and time, in one head lock and one executemany (a push's
    entries together; a Core insert, no ORM objects in the session: a hundred cost less than one flush)."""
    if not entries:
        return []
    if not session.in_transaction():
        await begin_write(session)
    head = await _locked_head(session)
    if head is None:
        # The first writer ever makes the head. Writers at once on PostgreSQL (job workers at start) must
        # not both make it: the second's insert waits for the first's commit and does nothing.
        await session.execute(
            dialect_insert(session, AccessLogHead.__table__)
            .values(id=1, last_id=0, last_hash=GENESIS_HASH)
            .on_conflict_do_nothing(index_elements=["id"])
        )
        head = await _locked_head(session)
        assert head is not None
    out = []
    for actor, access, at in entries:
        entry = AccessLogEntry(
            id=head.last_id + 1,
            at=at,
            user_id=actor.user_id,
            username=actor.username,
            role=actor.role,
            device_id=actor.device_id,
            client_id=access.client_id,
            record_type=access.record_type,
            record_id=access.record_id,
            operation=access.operation,
            basis=access.basis,
            prev_hash=head.last_hash,
        )
        entry.hash = entry_hash(head.last_hash, entry)
        head.last_id, head.last_hash = entry.id, entry.hash
        out.append(entry)
    await (await session.connection()).execute(insert(ENTRIES), [_values(e) for e in out])
    await session.flush()  # the head
    return out


ENTRIES = AccessLogEntry.__table__
_COLUMNS = [c.key for c in ENTRIES.columns]


def _values(entry: AccessLogEntry) -> dict:
    return {name: getattr(entry, name) for name in _COLUMNS}


async def _locked_head(session: AsyncSession) -> AccessLogHead | None:
    query = select(AccessLogHead).where(AccessLogHead.id == 1).with_for_update()
    return (await session.execute(query.execution_options(populate_existing=True))).scalar_one_or_none()


class ChainReport(msgspec.Struct):
    ok: bool
    entries: int
    first_bad_id: int | None = None
    problem: str | None = None


async def verify(session: AsyncSession, batch: int = 5000) -> ChainReport:
    """Walk the whole chain in id order and recompute every hash."""
    prev_hash, expected_id, count = GENESIS_HASH, 1, 0
    last_id = 0
    while True:
        rows = (
            (
                await session.execute(
                    select(AccessLogEntry)
                    .where(AccessLogEntry.id > last_id)
                    .order_by(AccessLogEntry.id)
                    .limit(batch)
                )
            )
            .scalars()
            .all()
        )
        if not rows:
            break
        for entry in rows:
            if entry.id != expected_id:
                return ChainReport(False, count, expected_id, f"entry {expected_id} is missing")
            if entry.prev_hash != prev_hash or entry_hash(prev_hash, entry) != entry.hash:
                return ChainReport(False, count, entry.id, f"entry {entry.id} does not match its hash")
            prev_hash, expected_id, last_id = entry.hash, entry.id + 1, entry.id
            count += 1
        session.expunge_all()
    head = (await session.execute(select(AccessLogHead).where(AccessLogHead.id == 1))).scalar_one_or_none()
    if head is not None and (head.last_id != last_id or head.last_hash != prev_hash):
        return ChainReport(False, count, last_id + 1, "entries after the last one were removed")
    return ChainReport(True, count)
