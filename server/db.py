"""Database: the declarative base, the engine with its SQLite pragmas, and write transactions.

SQLite is the single-node default and PostgreSQL the scaled-out one; the models and queries are the same.
On SQLite the driver's own transaction handling is switched off so that we emit BEGIN ourselves: a
write transaction starts with BEGIN IMMEDIATE, taking the write lock up front, so a read-then-write
(an atomic claim, a capacity check) can never be interleaved by another writer.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import partial
from typing import Any

import aiosqlite
import msgspec
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import MetaData, event, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Session

from server.settings import Settings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 15_000


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: DateTimeUTC()}


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def _json_dumps(value: Any) -> str:
    return _json_encoder.encode(value).decode()


_json_encoder = msgspec.json.Encoder()
# JSON columns (record data in the change log, outcomes) go through msgspec: several times faster than the
# standard library's json, which SQLAlchemy would use by default, and the text it writes is the same JSON.
JSON_CODEC = {"json_serializer": _json_dumps, "json_deserializer": msgspec.json.decode}


class WriterConnection(aiosqlite.Connection):
    """An aiosqlite connection that runs a statement inline when it cannot wait for a lock.

    aiosqlite sends every call (cursor, execute, fetch, close) to its own thread and back: a push of 100
    mutations made about 80 such round trips, and under load each costs a GIL hand-off of a few hundred
    microseconds, far more than the statement itself. These never wait, so they run in the event loop's
    thread at once:
    - every statement between `BEGIN IMMEDIATE` and the end of the transaction (this connection holds the
      only write lock, and in WAL mode readers never wait);
    - cursors, fetches and closes; `BEGIN` (deferred); the end of a transaction that wrote nothing;
    - reads (SELECT) made inside `inline_reads()`, which the sync routes use: their queries are index lookups
      bounded by a page, while a long report query must not hold up the event loop.
    `BEGIN IMMEDIATE` (it may wait for another process's write lock), the commit of a write (fsync) and any
    write outside a write transaction still go through the thread.
    """

    holds_write_lock = False
    wrote = False  # a write statement ran through the thread in this transaction

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if self._waits(getattr(fn, "__name__", ""), args):
            return await super()._execute(fn, *args, **kwargs)
        return fn(*args, **kwargs)

    def _waits(self, name: str, args: tuple) -> bool:
        """Whether this call may wait (for a lock, or on the disk), so it belongs on the thread."""
        if name in ("commit", "rollback"):
            # Ending a transaction that wrote syncs to disk; ending a read, or nothing, never waits.
            waits = self.holds_write_lock or self.wrote
            self.holds_write_lock = self.wrote = False
            return waits
        if self.holds_write_lock or name in _NEVER_WAITS:
            return False
        sql = args[0].lstrip()[:16].upper() if args and isinstance(args[0], str) else ""
        if sql in ("BEGIN", "BEGIN DEFERRED") or (_INLINE_READS.get() and sql.startswith("SELECT")):
            return False
        self.wrote = self.wrote or not sql.startswith(("SELECT", "PRAGMA"))
        return True


_NEVER_WAITS = frozenset({"cursor", "fetchone", "fetchmany", "fetchall", "close"})
_INLINE_READS: ContextVar[bool] = ContextVar("inline_reads", default=False)


@contextmanager
def inline_reads() -> Iterator[None]:
    """Run this block's SQLite reads in the event loop's thread (see `WriterConnection`)."""
    token = _INLINE_READS.set(True)
    try:
        yield
    finally:
        _INLINE_READS.reset(token)


def _sqlite_connector(url: str) -> Any:
    path = make_url(url).database

    def connect() -> WriterConnection:
        # What aiosqlite.connect() does, with our connection class.
        return WriterConnection(
            partial(sqlite3.connect, path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000, check_same_thread=False),
            iter_chunk_size=64,
        )

    return connect


def create_engine(settings: Settings) -> AsyncEngine:
    if settings.is_sqlite:
        engine = create_async_engine(
            settings.database_url, async_creator=_sqlite_connector(settings.database_url), **JSON_CODEC
        )
        _configure_sqlite(engine)
        return engine
    return create_async_engine(
        settings.database_url, pool_size=10, max_overflow=20, pool_pre_ping=True, **JSON_CODEC
    )


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite; `_on_begin` issues BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "foreign_keys=ON",
            f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
            "synchronous=FULL",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")
        if mode == "IMMEDIATE":
            connection.connection.driver_connection.holds_write_lock = True


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """An INSERT with the engine's `on_conflict_do_nothing()` / `on_conflict_do_update()`."""
    if session.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


_writer_locks: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()


async def begin_write(session: AsyncSession) -> None:
    """Start the session's transaction as a write transaction.

    Call it before the first statement of any unit of work that reads and then writes. On SQLite it
    takes the database write lock now (BEGIN IMMEDIATE); on PostgreSQL it is an ordinary BEGIN and the
    caller takes row locks (`SELECT … FOR UPDATE`) where it needs them.

    On SQLite, writers of this process first queue on an asyncio lock: SQLite's busy handler makes a
    waiting writer sleep and poll, so under load writers would wait far longer than the writes take.
    The lock is released when the transaction ends, however it ends.
    """
    if session.in_transaction() or session.bind.dialect.name != "sqlite":
        await session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        return
    lock = _writer_locks.setdefault(session.bind.sync_engine, asyncio.Lock())
    await lock.acquire()
    session.sync_session.info["writer_lock"] = lock
    try:
        await session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    except BaseException:
        _release_writer(session.sync_session)
        raise


def _release_writer(sync_session: Any) -> None:
    lock = sync_session.info.pop("writer_lock", None)
    if lock is not None:
        lock.release()


def _release_writer_at_end(sync_session: Any, transaction: Any) -> None:
    # The outermost transaction's end, however it ends: commit, rollback, or the session closed in the
    # middle (a task cancelled mid-write, an error leaving `async with`), which fires no commit or rollback
    # hook. Not a savepoint's end: `after_commit` fires for a released savepoint too, while the outer
    # transaction still holds SQLite's write lock.
    if transaction.parent is None:
        _release_writer(sync_session)


event.listen(Session, "after_transaction_end", _release_writer_at_end)
