"""A :class:`~sync_protocol.client.store.Store` in one SQLite file (stdlib :mod:`sqlite3`).

WAL journal and ``synchronous=FULL``: a mutation the user saw accepted is on disk. Every public store
operation is one short ``BEGIN IMMEDIATE`` transaction, so a pull page (records, checksums, cookie, outbox
pruning) commits or vanishes as a whole. Values are stored as MessagePack blobs; checksum sums as signed
64-bit integers (SQLite has no unsigned type).
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import msgspec

from sync_protocol.checksum import MOD, ScopeChecksum
from sync_protocol.client.model import HeldOutcome, OutboxStatus, PendingMutation, StoredRecord
from sync_protocol.client.store import Store

__all__ = ["SQLiteStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records (
    type TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, scopes BLOB NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (type, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS record_scopes (
    scope TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (scope, type, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS record_scopes_by_record ON record_scopes (type, id);
CREATE TABLE IF NOT EXISTS scope_sums (
    scope TEXT PRIMARY KEY, count INTEGER NOT NULL, sum INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, status TEXT NOT NULL, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS outcomes (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, body BLOB NOT NULL);
"""

_encode = msgspec.msgpack.Encoder().encode
_decode_any = msgspec.msgpack.Decoder().decode
_decode_mutation = msgspec.msgpack.Decoder(PendingMutation).decode
_decode_outcome = msgspec.msgpack.Decoder(HeldOutcome).decode
_decode_scopes = msgspec.msgpack.Decoder(tuple[str, ...]).decode


class SQLiteStore(Store):
    """A durable store in the SQLite file at ``path`` (created if missing)."""

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 5.0) -> None:
        self.path = os.fspath(path)
        self._db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        self._db.executescript(_SCHEMA)
        self._depth = 0
        with self._transaction():
            self._ensure_client_id()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")
        finally:
            self._depth = 0

    def close(self) -> None:
        self._db.close()

    def storage_used(self) -> int | None:
        (pages,) = self._db.execute("PRAGMA page_count").fetchone()
        (size,) = self._db.execute("PRAGMA page_size").fetchone()
        return int(pages) * int(size)

    # --- meta ---------------------------------------------------------------------------------------------

    def _meta(self) -> dict[str, Any]:
        return {key: _decode_any(value) for key, value in self._db.execute("SELECT key, value FROM meta")}

    def _set_meta(self, **values: Any) -> None:
        with self._transaction():
            self._db.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [(key, _encode(value)) for key, value in values.items()],
            )

    # --- records ------------------------------------------------------------------------------------------

    @staticmethod
    def _record(row: tuple[Any, ...]) -> StoredRecord:
        type_, id_, version, scopes, data = row
        return StoredRecord(
            type=type_, id=id_, version=version, scopes=_decode_scopes(scopes), data=_decode_any(data)
        )

    def _get_record(self, type_: str, id_: str) -> StoredRecord | None:
        row = self._db.execute(
            "SELECT type, id, version, scopes, data FROM records WHERE type = ? AND id = ?", (type_, id_)
        ).fetchone()
        return self._record(row) if row else None

    def _put_record(self, record: StoredRecord) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO records (type, id, version, scopes, data) VALUES (?, ?, ?, ?, ?)",
                (record.type, record.id, record.version, _encode(record.scopes), _encode(record.data)),
            )
            self._db.execute("DELETE FROM record_scopes WHERE type = ? AND id = ?", (record.type, record.id))
            self._db.executemany(
                "INSERT INTO record_scopes (scope, type, id) VALUES (?, ?, ?)",
                [(scope, record.type, record.id) for scope in record.scopes],
            )

    def _delete_record(self, type_: str, id_: str) -> None:
        with self._transaction():
            self._db.execute("DELETE FROM records WHERE type = ? AND id = ?", (type_, id_))
            self._db.execute("DELETE FROM record_scopes WHERE type = ? AND id = ?", (type_, id_))

    def _iter_records(self, type_: str | None) -> Iterator[StoredRecord]:
        query = "SELECT type, id, version, scopes, data FROM records"
        rows = (
            self._db.execute(query + " WHERE type = ?", (type_,))
            if type_ is not None
            else self._db.execute(query)
        )
        return (self._record(row) for row in rows.fetchall())

    def _records_in_scope(self, scope: str) -> list[StoredRecord]:
        rows = self._db.execute(
            "SELECT r.type, r.id, r.version, r.scopes, r.data FROM record_scopes s "
            "JOIN records r ON r.type = s.type AND r.id = s.id WHERE s.scope = ? ORDER BY r.type, r.id",
            (scope,),
        ).fetchall()
        return [self._record(row) for row in rows]

    # --- scope checksums ----------------------------------------------------------------------------------

    def _sums(self) -> dict[str, ScopeChecksum]:
        rows = self._db.execute("SELECT scope, count, sum FROM scope_sums").fetchall()
        return {scope: ScopeChecksum.from_signed(count, total) for scope, count, total in rows}

    def _add_to_sums(self, deltas: dict[str, ScopeChecksum]) -> None:
        if not deltas:
            return
        with self._transaction():
            current = self._sums()
            for scope, delta in deltas.items():
                old = current.get(scope, ScopeChecksum())
                new = ScopeChecksum(old.count + delta.count, (old.sum + delta.sum) % MOD)
                if new.count:
                    self._db.execute(
                        "INSERT INTO scope_sums (scope, count, sum) VALUES (?, ?, ?) ON CONFLICT (scope) "
                        "DO UPDATE SET count = excluded.count, sum = excluded.sum",
                        (scope, new.count, new.signed_sum),
                    )
                else:
                    self._db.execute("DELETE FROM scope_sums WHERE scope = ?", (scope,))

    def _delete_sum(self, scope: str) -> None:
        self._db.execute("DELETE FROM scope_sums WHERE scope = ?", (scope,))

    def _clear_replica(self) -> None:
        with self._transaction():
            for table in ("records", "record_scopes", "scope_sums"):
                self._db.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed table names)

    # --- outbox -------------------------------------------------------------------------------------------

    def _insert_mutation(self, mutation: PendingMutation) -> None:
        self._db.execute(
            "INSERT INTO outbox (seq, id, status, body) VALUES (?, ?, ?, ?)",
            (mutation.seq, str(mutation.id), mutation.status, _encode(mutation)),
        )

    @staticmethod
    def _mutation(row: tuple[Any, ...]) -> PendingMutation:
        seq, status, body = row
        return msgspec.structs.replace(_decode_mutation(body), seq=seq, status=status)

    def _mutations(self, statuses: Sequence[str] | None, limit: int | None) -> list[PendingMutation]:
        query, params = "SELECT seq, status, body FROM outbox", []
        if statuses is not None:
            query += f" WHERE status IN ({', '.join('?' * len(statuses))})"
            params.extend(statuses)
        query += " ORDER BY seq"
        if limit is not None:
            query += " LIMIT ?"
            params.append(limit)
        return [self._mutation(row) for row in self._db.execute(query, params).fetchall()]

    def _get_mutation(self, seq: int) -> PendingMutation | None:
        row = self._db.execute("SELECT seq, status, body FROM outbox WHERE seq = ?", (seq,)).fetchone()
        return self._mutation(row) if row else None

    def _set_status(self, seqs: Iterable[int], status: OutboxStatus) -> None:
        with self._transaction():
            self._db.executemany("UPDATE outbox SET status = ? WHERE seq = ?", [(status, s) for s in seqs])

    def _delete_mutations(self, seqs: Iterable[int] = (), up_to: int | None = None) -> None:
        with self._transaction():
            self._db.executemany("DELETE FROM outbox WHERE seq = ?", [(s,) for s in seqs])
            if up_to is not None:
                self._db.execute("DELETE FROM outbox WHERE seq <= ?", (up_to,))

    def _renumber(self, changes: list[tuple[int, int]]) -> None:
        with self._transaction():
            self._db.executemany(
                "UPDATE outbox SET seq = ? WHERE seq = ?", [(new, old) for old, new in changes]
            )

    # --- held outcomes ------------------------------------------------------------------------------------

    def _hold(self, outcome: HeldOutcome) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO outcomes (id, seq, body) VALUES (?, ?, ?)",
            (str(outcome.id), outcome.seq, _encode(outcome)),
        )

    def _held(self) -> list[HeldOutcome]:
        rows = self._db.execute("SELECT body FROM outcomes ORDER BY seq").fetchall()
        return [_decode_outcome(body) for (body,) in rows]

    def _dismiss(self, outcome_id: uuid.UUID) -> None:
        self._db.execute("DELETE FROM outcomes WHERE id = ?", (str(outcome_id),))

    def _wipe(self) -> None:
        with self._transaction():
            for table in ("meta", "records", "record_scopes", "scope_sums", "outbox", "outcomes"):
                self._db.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed table names)
