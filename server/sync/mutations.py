"""The mutation framework: how a domain module declares a mutation and what its handler gets.

    @mutation("attendance.check_in", args=CheckIn)
    async def check_in(ctx: MutationContext, args: CheckIn) -> dict | None:
        ctx.require_scope(unit_scope(args.unit_id))
        ...                              # read and write domain tables through ctx.session
        ctx.changes.put("attendance", record.id, data, scopes)   # what devices will pull

A handler rejects with `ctx.reject(code, message, details)`; nothing it did is kept (it runs in a
savepoint) and the rejection is stored for the device to show. It reports contested `manual` fields with
`ctx.conflicts(...)` ids: the mutation's outcome is then `conflict`. It returns an optional result dict.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NoReturn

from sqlalchemy import insert, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.asyncio import AsyncSession

from server.access_log import service as access_log
from server.accounts.principal import Principal
from server.settings import Settings
from server.sync import authorisation
from server.sync.changes import ChangeSet
from sync_protocol.catalog import Catalog, Upcaster
from sync_protocol.messages import MutationEnvelope

catalog = Catalog()
Handler = Callable[["MutationContext", Any], Awaitable[dict[str, Any] | None]]


def mutation(
    name: str,
    *,
    args: type,
    version: int = 1,
    upcasters: Mapping[int, Upcaster] | None = None,
    capacity_taking: bool = False,
    savepoint: bool = True,
    prepare: Callable[[MutationContext, list[Any]], Awaitable[None]] | None = None,
    touches: authorisation.Touches,
    loads: Mapping[str, type] | None = None,
) -> Callable[[Handler], Handler]:
    """Register a handler in the server's catalog (published at `GET /api/sync/v1/catalog`).

    Each mutation runs in a savepoint so that a rejection takes back what it wrote. `savepoint=False`
    saves two statements per mutation for handlers that finish every check before their first write and
    whose writes cannot fail (no unique key a device could collide with).

    `prepare(ctx, args_list)`, if given, runs once per push with the args of every mutation of this name in
    the batch, before any of them: a handler reads and locks what the whole batch needs in a few statements
    instead of a few per mutation (each statement costs far more than the work it does), and in a fixed
    order, so concurrent batches cannot deadlock. The handler still checks everything itself.

    `touches(args)` declares what the mutation reads or writes and the basis it needs on each
    (`server.sync.authorisation`): the push resolves the whole batch's declarations before any handler runs,
    refuses what fails with `forbidden`, and logs the access to every declared client.

    `loads={"contact_id": Contact}` reads, before the batch runs, every row of the model whose id an arg
    names, in one statement for the whole batch; the handler's `ctx.get(Contact, id)` then answers from
    memory (also "there is none", which a SELECT per mutation would otherwise ask). For rows the batch
    only adds to (append-only records), never for rows it changes with Core statements.
    """
    register = catalog.mutation(
        name, version=version, args=args, upcasters=upcasters, capacity_taking=capacity_taking
    )

    def decorate(handler: Handler) -> Handler:
        handler.savepoint = savepoint  # type: ignore[attr-defined]
        handler.prepare = prepare  # type: ignore[attr-defined]
        handler.touches = touches  # type: ignore[attr-defined]
        handler.loads = dict(loads or {})  # type: ignore[attr-defined]
        return register(handler)

    return decorate


class Deferred:
    """Writes that a run of mutations of one kind puts off and makes together, once.

    A handler without a savepoint (every check before its first write) may keep what it changes in memory
    and hand the write to `ctx.deferred.add(owner, write)`: a hundred check-ins then update their records with one executemany instead of
    a hundred ORM flushes. The push runs the pending writes at the end of the batch, and before any
    mutation of another kind, which might read those tables.

    New rows of append-only records go the same way (`ctx.append`): kept by table, inserted with one
    executemany per table; a mutation rejected after appending takes its rows back (`mark`, `rollback_to`).
    """

    def __init__(self) -> None:
        self._writes: dict[Any, Callable[[], Awaitable[None]]] = {}
        self._rows: list[tuple[Any, Any]] = []  # (owner, ORM object) in the order appended
        self.session: AsyncSession | None = None

    def add(self, owner: Any, write: Callable[[], Awaitable[None]]) -> None:
        self._writes.setdefault(owner, write)

    def append(self, owner: Any, session: AsyncSession, row: Any) -> None:
        self.session = session
        self._rows.append((owner, row))

    def mark(self) -> int:
        return len(self._rows)

    def rollback_to(self, mark: int) -> list[Any]:
        dropped = [row for _, row in self._rows[mark:]]
        del self._rows[mark:]
        return dropped

    async def run(self, unless: Any = None) -> None:
        """Make the pending writes, unless the next handler is of the kind (itself or its `prepare`) that
        owns them all."""
        keep = {unless, getattr(unless, "prepare", None)} - {None}
        owners = set(self._writes) | {owner for owner, _ in self._rows}
        if not owners or owners <= keep:
            return
        writes, self._writes = list(self._writes.values()), {}
        rows, self._rows = [row for _, row in self._rows], []
        if rows:
            assert self.session is not None
            await insert_rows(self.session, rows)
        for write in writes:
            await write()


def row_values(row: Any) -> dict[str, Any]:
    """An ORM object's column values as a Core insert takes them (unset columns left to their defaults)."""
    values = {}
    for attr in sa_inspect(type(row)).column_attrs:
        value = getattr(row, attr.key)
        column = attr.columns[0]
        if value is None and (column.default is not None or column.server_default is not None):
            continue
        values[column.key] = value
    return values


async def insert_rows(session: AsyncSession, rows: list[Any]) -> None:
    """Insert ORM objects that never joined the session: one executemany per table (and set of columns),
    tables in the order of their first row, so parents land before their children."""
    grouped: dict[tuple[Any, frozenset[str]], list[dict[str, Any]]] = {}
    for row in rows:
        values = row_values(row)
        grouped.setdefault((row.__table__, frozenset(values)), []).append(values)
    conn = await session.connection()
    for (table, _), values in grouped.items():
        await conn.execute(insert(table), values)


class AccessBuffer:
    """The access-log entries of one push: appended to the chain together at its end."""

    def __init__(self) -> None:
        self.entries: list[tuple[Any, access_log.Access, datetime]] = []

    def mark(self) -> int:
        return len(self.entries)

    def rollback_to(self, mark: int) -> None:
        del self.entries[mark:]

    async def write(self, session: AsyncSession) -> None:
        entries, self.entries = self.entries, []
        await access_log.record_entries(session, entries)


async def preload(ctx: MutationContext, handler: Any, batch: list[Any]) -> None:
    """Read the rows a kind of mutation declared (`loads=`) for the whole batch, one statement per model;
    a missing id is remembered as None."""
    for arg, model in getattr(handler, "loads", {}).items():
        ids = {getattr(args, arg) for args in batch} - {None}
        ids = {i for i in ids if ("row", model, i) not in ctx.cache}
        if not ids:
            continue
        found = (await ctx.session.execute(select(model).where(model.id.in_(ids)))).scalars()
        rows = {row.id: row for row in found}
        for i in ids:
            ctx.cache[("row", model, i)] = rows.get(i)


class Rejected(Exception):
    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.details = code, message, details or {}


@dataclass
class MutationContext:
    session: AsyncSession
    author: Principal
    scopes: set[str]
    changes: ChangeSet
    envelope: MutationEnvelope | None  # None only in `prepare` hooks, which see the whole batch
    now: datetime
    settings: Settings
    registered_at: datetime
    # The pushing replica (protocol §2 `client_id`): whose earlier mutations a `manual` field need not
    # treat as news (`sync_protocol.policies.FieldChange`).
    replica_id: uuid.UUID | None = None
    conflict_ids: list[uuid.UUID] = field(default_factory=list)
    # Lookups shared by the mutations of one push (see `cached`).
    cache: dict[Any, Any] = field(default_factory=dict)
    deferred: Deferred = field(default_factory=Deferred)
    # Locks asked for by the batch's `prepare` hooks (see `lock_together`).
    locks: dict[Any, set[Any]] = field(default_factory=dict)
    # The batch's declarations, resolved (`server.sync.authorisation`), and the clients this mutation
    # declared and those its handler logged itself (the push logs the rest).
    resolved: authorisation.Resolved = field(default_factory=authorisation.Resolved)
    declared: set[uuid.UUID] = field(default_factory=set)
    logged: set[uuid.UUID] = field(default_factory=set)
    # Access-log entries of the batch, appended together at its end (see `log_access`).
    accesses: AccessBuffer = field(default_factory=lambda: AccessBuffer())

    async def get(self, model: type, ident: Any) -> Any:
        """`session.get`, answered from the batch's preloaded and appended rows when it has them (`loads=`,
        `append`): None is an answer too (preloaded: there is no such row)."""
        key = ("row", model, ident)
        if key in self.cache:
            return self.cache[key]
        return await self.session.get(model, ident)

    def append(self, *rows: Any) -> None:
        """Add new rows of an append-only record, inserted with the rest of the batch's (one executemany
        per table, see `Deferred`) instead of an ORM flush each. `get` finds them meanwhile. Only from a
        handler declared `savepoint=False` whose checks all come first: nothing can fail after."""
        assert self.envelope is not None
        owner = catalog.get(self.envelope.name).handler
        for row in rows:
            self.deferred.append(owner, self.session, row)
            if hasattr(row, "id"):
                self.cache[("row", type(row), row.id)] = row

    async def cached(self, key: Any, load: Callable[[], Awaitable[Any]]) -> Any:
        """`load()` once per push for `key`: for reference rows that a batch of 100 check-ins all need."""
        if key not in self.cache:
            self.cache[key] = await load()
        return self.cache[key]

    def lock_together(
        self, lock: Callable[[AsyncSession, set[Any]], Awaitable[Any]], keys: Iterable[Any]
    ) -> None:
        """From a `prepare` hook: ask for `lock(session, keys)`.

        The push calls each lock function once, with the keys asked for by every mutation of the batch,
        after all hooks ran: a batch that books in one unit and offers a place in another takes both unit
        locks in one statement, in the lock's own order, so two such batches cannot deadlock.
        """
        self.locks.setdefault(lock, set()).update(keys)

    @property
    def user_id(self) -> uuid.UUID:
        assert self.author.user_id is not None
        return self.author.user_id

    @property
    def writer(self) -> str | None:
        """The pushing replica as the field policies name who changed a field (`author=` of `plan`)."""
        return str(self.replica_id) if self.replica_id is not None else None

    def reject(self, code: str, message: str, details: dict[str, Any] | None = None) -> NoReturn:
        raise Rejected(code, message, details)

    def require_scope(self, scope: str) -> None:
        """The author may only write records into scopes they hold."""
        if scope not in self.scopes:
            self.reject(
                "forbidden", "You may not change data outside your units and areas.", {"scope": scope}
            )

    def require_role(self, *roles: str) -> None:
        if not self.author.has_role(*roles):
            self.reject("forbidden", f"This needs the role {' or '.join(roles)}.")

    def client_time(self) -> datetime:
        """When the author did it, by the device's clock, clamped to [registration, now] (protocol §3)."""
        told = self.envelope.client_time if self.envelope else None
        return max(min(told, self.now), self.registered_at) if told is not None else self.now

    def basis(self, client_id: uuid.UUID) -> str:
        """The author's basis on a declared client, as the access log records it."""
        return self.resolved.basis(client_id)

    async def log_access(
        self, role: str | None, accesses: list[access_log.Access], at: datetime | None = None
    ) -> None:
        """Log accesses to client data; written with the batch's others, before the change log, in its
        transaction (one head lock and one executemany for the batch). A rejected mutation's go with it."""
        self.logged |= {a.client_id for a in accesses if a.client_id is not None}
        actor = self.author.actor(role)
        self.accesses.entries += [(actor, access, at or self.now) for access in accesses]

    def record_conflict(self, conflict_id: uuid.UUID) -> None:
        self.conflict_ids.append(conflict_id)

    def require_replay(self, existing: Any, args: Any, fields: tuple[str, ...], what: str) -> None:
        """A record id the device sends again: the same content is a replay, other content `duplicate`."""
        if any(getattr(existing, name) != getattr(args, name) for name in fields):
            self.reject("duplicate", f"{what} with this id already exists with other content.")
