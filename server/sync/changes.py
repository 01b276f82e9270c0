"""The change set of one transaction, and how it reaches the change log.

Domain code calls `put()` and `delete()` while it works; nothing is numbered until `flush()`, which runs
once at the end of the transaction: it locks the head row, takes the next versions, and writes the change
log, the current record state, scope membership and the scope checksums. Holding the head lock until
commit makes versions commit in order, which is what lets a pull never skip a change.

`mark()` and `rollback_to()` follow savepoints: a mutation that is rejected takes its changes back with it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import msgspec
from sqlalchemy import and_, bindparam, delete, insert, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from server.db import utcnow
from server.sync.models import Change, ChangeScope, RecordScope, ScopeState, SyncHead, SyncRecord
from sync_protocol.checksum import from_signed64, record_hash, to_signed64

MOD = 2**64
CHANGES, CHANGE_SCOPES = Change.__table__, ChangeScope.__table__
RECORDS, RECORD_SCOPES, SCOPE_STATE = SyncRecord.__table__, RecordScope.__table__, ScopeState.__table__
HEAD = SyncHead.__table__
_LOCK_HEAD = select(HEAD.c.version).where(HEAD.c.id == 1).with_for_update()
_MOVE_HEAD = update(HEAD).where(HEAD.c.id == 1).values(version=bindparam("version"))
_UPDATE_RECORD = (
    update(RECORDS)
    .where(RECORDS.c.record_type == bindparam("key_type"), RECORDS.c.record_id == bindparam("key_id"))
    .values(version=bindparam("version"), scopes=bindparam("scopes"), data=bindparam("data"))
)


@dataclass(frozen=True, slots=True)
class PendingChange:
    record_type: str
    record_id: str
    op: str  # "put" or "del"
    data: dict[str, Any] | None
    scopes: tuple[str, ...]


def to_data(value: Any) -> dict[str, Any]:
    """A record's data as JSON-ready builtins (dates as ISO strings, UUIDs as text)."""
    return msgspec.to_builtins(value)


class ChangeObserver(Protocol):
    """Told of every record change of a transaction inside it, before commit (the statistics marks)."""

    record_types: frozenset[str]

    async def note(
        self, conn: AsyncConnection, changes: list[tuple[str, dict | None, dict | None]], now: datetime
    ) -> None: ...


_OBSERVERS: list[ChangeObserver] = []


def observe(observer: ChangeObserver) -> None:
    """Add an observer (the composition root does, from the domains' declarations); once each."""
    if observer not in _OBSERVERS:
        _OBSERVERS.append(observer)


class ChangeSet:
    def __init__(self) -> None:
        self._pending: list[PendingChange] = []
        self.touched_scopes: set[str] = set()
        self.last_version: int | None = None
        # Set by the push while a mutation runs: called with each client record put, it refuses a client
        # the mutation did not declare (`server.sync.authorisation`).
        self.client_guard: Callable[[str], None] | None = None

    def put(self, record_type: str, record_id: Any, data: Any, scopes: Iterable[str]) -> None:
        if record_type == "client" and self.client_guard is not None:
            self.client_guard(str(record_id))
        self._pending.append(
            PendingChange(record_type, str(record_id), "put", to_data(data), tuple(sorted(set(scopes))))
        )

    def delete(self, record_type: str, record_id: Any) -> None:
        self._pending.append(PendingChange(record_type, str(record_id), "del", None, ()))

    def mark(self) -> int:
        return len(self._pending)

    def rollback_to(self, mark: int) -> None:
        del self._pending[mark:]

    def __len__(self) -> int:
        return len(self._pending)

    async def flush(self, session: AsyncSession) -> None:
        """Number and write the pending changes; call last in the transaction, right before commit."""
        latest: dict[tuple[str, str], PendingChange] = {}
        for change in self._pending:
            latest.pop((change.record_type, change.record_id), None)
            latest[(change.record_type, change.record_id)] = change
        self._pending.clear()
        if not latest:
            return
        # Take the head lock before reading the records' current state: a concurrent transaction changing
        # the same record commits first, and we then see its version (on PostgreSQL, read before the lock,
        # it would be stale: a duplicate insert, or a checksum delta against the wrong old version).
        conn = await session.connection()
        head_version = (await conn.execute(_LOCK_HEAD)).scalar_one()
        existing = await _current(conn, list(latest))
        effective = []
        for key, change in latest.items():
            old = existing.get(key)
            if change.op == "del" and old is None:
                continue
            if (
                change.op == "put"
                and old is not None
                and old.data == change.data
                and tuple(old.scopes) == change.scopes
            ):
                continue
            effective.append(change)
        if not effective:
            return

        first = head_version + 1
        tx_last, now = head_version + len(effective), utcnow()
        await conn.execute(_MOVE_HEAD, {"version": tx_last})

        change_rows, scope_rows, deltas = [], [], defaultdict(lambda: [0, 0])
        upserts, deletes, scope_adds, scope_removes = [], [], [], []
        for offset, change in enumerate(effective):
            version = first + offset
            key = (change.record_type, change.record_id)
            old = existing.get(key)
            old_scopes = tuple(old.scopes) if old else ()
            if old is not None:
                old_hash = record_hash(change.record_type, change.record_id, old.version)
                for scope in old_scopes:
                    deltas[scope][0] -= 1
                    deltas[scope][1] -= old_hash
            if change.op == "put":
                new_hash = record_hash(change.record_type, change.record_id, version)
                for scope in change.scopes:
                    deltas[scope][0] += 1
                    deltas[scope][1] += new_hash
                upserts.append(
                    (
                        old is not None,
                        {
                            "record_type": key[0],
                            "record_id": key[1],
                            "version": version,
                            "scopes": list(change.scopes),
                            "data": change.data,
                        },
                    )
                )
            else:
                deletes.append(key)
            scope_adds += [
                {"scope": s, "record_type": key[0], "record_id": key[1]}
                for s in change.scopes
                if s not in old_scopes
            ]
            scope_removes += [(s, key[0], key[1]) for s in old_scopes if s not in change.scopes]
            touched = set(old_scopes) | set(change.scopes)
            self.touched_scopes |= touched
            change_rows.append(
                {
                    "version": version,
                    "tx_last": tx_last,
                    "record_type": key[0],
                    "record_id": key[1],
                    "op": change.op,
                    "scopes": list(change.scopes),
                    "old_scopes": list(old_scopes),
                    "data": change.data,
                    "at": now,
                }
            )
            scope_rows += [{"scope": s, "version": version} for s in sorted(touched)]

        # Core statements on the connection, each one executemany: the ORM session's paths (autoflush, bulk
        # persistence) cost more than the SQL itself.
        await conn.execute(insert(CHANGES), change_rows)
        if scope_rows:
            await conn.execute(insert(CHANGE_SCOPES), scope_rows)
        new_rows = [row for was_there, row in upserts if not was_there]
        if new_rows:
            await conn.execute(insert(RECORDS), new_rows)
        updated = [
            {**row, "key_type": row["record_type"], "key_id": row["record_id"]}
            for was_there, row in upserts
            if was_there
        ]
        if updated:
            await conn.execute(_UPDATE_RECORD, updated)
        if deletes:
            await conn.execute(
                delete(SyncRecord).where(tuple_(SyncRecord.record_type, SyncRecord.record_id).in_(deletes))
            )
        if scope_removes:
            await conn.execute(
                delete(RecordScope).where(
                    or_(
                        *(
                            and_(
                                RecordScope.scope == s,
                                RecordScope.record_type == t,
                                RecordScope.record_id == i,
                            )
                            for s, t, i in scope_removes
                        )
                    )
                )
            )
        if scope_adds:
            await conn.execute(insert(RECORD_SCOPES), scope_adds)
        await _apply_deltas(conn, deltas)
        for observer in _OBSERVERS:
            seen = [
                (c.record_type, old.data if old else None, c.data if c.op == "put" else None)
                for c in effective
                if c.record_type in observer.record_types
                for old in (existing.get((c.record_type, c.record_id)),)
            ]
            await observer.note(conn, seen, now)
        self.last_version = tx_last


_CURRENT = select(
    RECORDS.c.record_type, RECORDS.c.record_id, RECORDS.c.version, RECORDS.c.scopes, RECORDS.c.data
).where(RECORDS.c.record_type == bindparam("type"), RECORDS.c.record_id.in_(bindparam("ids", expanding=True)))


async def _current(conn: AsyncConnection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    found: dict[tuple[str, str], Any] = {}
    by_type: dict[str, list[str]] = defaultdict(list)
    for record_type, record_id in keys:
        by_type[record_type].append(record_id)
    for record_type, ids in by_type.items():
        for start in range(0, len(ids), 500):
            rows = await conn.execute(_CURRENT, {"type": record_type, "ids": ids[start : start + 500]})
            for row in rows:
                found[(row.record_type, row.record_id)] = row
    return found


async def _apply_deltas(conn: AsyncConnection, deltas: dict[str, list[int]]) -> None:
    """Add each scope's count and checksum delta: O(1) per change, whatever the scope's size."""
    deltas = {scope: d for scope, d in deltas.items() if d != [0, 0]}
    if not deltas:
        return
    rows = await conn.execute(_SCOPE_STATES, {"scopes": list(deltas)})
    known = {scope: (count, checksum) for scope, count, checksum in rows}
    inserts, updates = [], []
    for scope, (count_delta, sum_delta) in deltas.items():
        count, checksum = known.get(scope, (0, 0))
        row = {
            "count": count + count_delta,
            "checksum": to_signed64((from_signed64(checksum) + sum_delta) % MOD),
        }
        if scope in known:
            updates.append({**row, "key": scope})
        else:
            inserts.append({**row, "scope": scope})
    if inserts:
        await conn.execute(insert(SCOPE_STATE), inserts)
    if updates:
        await conn.execute(_UPDATE_SCOPE_STATE, updates)


_SCOPE_STATES = select(SCOPE_STATE.c.scope, SCOPE_STATE.c.count, SCOPE_STATE.c.checksum).where(
    SCOPE_STATE.c.scope.in_(bindparam("scopes", expanding=True))
)
_UPDATE_SCOPE_STATE = (
    update(SCOPE_STATE)
    .where(SCOPE_STATE.c.scope == bindparam("key"))
    .values(count=bindparam("count"), checksum=bindparam("checksum"))
)
