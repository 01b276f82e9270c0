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
    """
    register = catalog.mutation(
        name, version=version, args=args, upcasters=upcasters, capacity_taking=capacity_taking
    )

    def decorate(handler: Handler) -> Handler:
        handler.savepoint = savepoint  # type: ignore[attr-defined]
        handler.prepare = prepare  # type: ignore[attr-defined]
        handler.touches = touches  # type: ignore[attr-defined]
        return register(handler)

    return decorate


class Deferred:
    """Writes that a run of mutations of one kind puts off and makes together, once.

    A handler without a savepoint (every check before its first write) may keep what it changes in memory
    and hand the write to `ctx.deferred.add(owner, write)`: a hundred check-ins then update their records with one executemany instead of
    a hundred ORM flushes. The push runs the pending writes at the end of the batch, and before any
    mutation of another kind, which might read those tables.
    """

    def __init__(self) -> None:
        self._writes: dict[Any, Callable[[], Awaitable[None]]] = {}

    def add(self, owner: Any, write: Callable[[], Awaitable[None]]) -> None:
        self._writes.setdefault(owner, write)

    async def run(self, unless: Any = None) -> None:
        """Make the pending writes, unless the next handler is of the kind (same `prepare`) that owns them."""
        if not self._writes or set(self._writes) == {getattr(unless, "prepare", None)}:
            return
        writes, self._writes = list(self._writes.values()), {}
        for write in writes:
            await write()


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

    async def log_access(self, role: str, accesses: list[access_log.Access]) -> None:
        self.logged |= {a.client_id for a in accesses if a.client_id is not None}
        await access_log.record(self.session, self.author.actor(role), accesses)

    def record_conflict(self, conflict_id: uuid.UUID) -> None:
        self.conflict_ids.append(conflict_id)

    def require_replay(self, existing: Any, args: Any, fields: tuple[str, ...], what: str) -> None:
        """A record id the device sends again: the same content is a replay, other content `duplicate`."""
        if any(getattr(existing, name) != getattr(args, name) for name in fields):
            self.reject("duplicate", f"{what} with this id already exists with other content.")
