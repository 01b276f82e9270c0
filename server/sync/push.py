"""Push (protocol §3): run each new mutation once, in order, and remember its outcome.

The whole batch is one transaction; each mutation runs in a savepoint, so a rejected one leaves nothing
behind while the rest of the batch commits. The replica's `last_seq`, every mutation's outcome and the
effects commit together: a replay after a lost response answers from the stored outcome and runs nothing.
A transient failure (the database is busy, the process dies) commits nothing, and the device sends the same
batch again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy import bindparam, event, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.access_log.service import Access
from server.accounts.principal import Actor, Principal
from server.accounts.scopes import scopes_for
from server.db import begin_write, utcnow
from server.errors import Conflict, KaariError
from server.reference.models import Area, CodeList, Municipality, ServicePoint, Unit
from server.settings import Settings
from server.sync import authorisation
from server.sync.authorisation import role_of
from server.sync.changes import ChangeSet
from server.sync.models import Replica, SyncMutation
from server.sync.mutations import AccessBuffer, Deferred, MutationContext, Rejected, catalog, preload
from server.sync.replicas import author_of, bind_replica
from sync_protocol import PROTOCOL_VERSION
from sync_protocol.catalog import InvalidArgs, MutationSpec, UnknownMutation
from sync_protocol.errors import SIGN_IN_REQUIRED
from sync_protocol.messages import (
    MAX_PUSH_MUTATIONS,
    MutationEnvelope,
    MutationResult,
    PushError,
    PushRequest,
    PushResponse,
)

OUTCOMES = SyncMutation.__table__
_USED_IDS = select(OUTCOMES.c.id).where(OUTCOMES.c.id.in_(bindparam("ids", expanding=True)))


def check_protocol(protocol: int) -> None:
    if protocol != PROTOCOL_VERSION:
        raise KaariError(
            f"This server speaks sync protocol {PROTOCOL_VERSION}; update the app.",
            code="upgrade_required",
            status_code=426,
            details={"min_protocol": PROTOCOL_VERSION, "min_app_build": None},
        )


def result_of(row: SyncMutation) -> MutationResult:
    return MutationResult(
        # A refused duplicate keeps no id of its own (ids are unique): the one it was sent with is in details.
        id=row.id if row.id is not None else uuid.UUID(row.details["mutation_id"]),
        seq=row.seq,
        status=row.status,
        result=row.result,
        code=row.code,
        message=row.message,
        details=row.details,
        conflict_id=row.conflict_id,
    )


async def push(
    session: AsyncSession, settings: Settings, principal: Principal, request: PushRequest
) -> tuple[PushResponse, ChangeSet]:
    check_protocol(request.protocol)
    if len(request.mutations) > MAX_PUSH_MUTATIONS:
        raise KaariError(
            f"At most {MAX_PUSH_MUTATIONS} mutations per push; split the batch.",
            code="too_large",
            status_code=413,
            details={"max_mutations": MAX_PUSH_MUTATIONS},
        )
    await begin_write(session)
    unpin = pin_reference_rows(session)
    try:
        return await _push(session, settings, principal, request)
    finally:
        unpin()


async def _push(
    session: AsyncSession, settings: Settings, principal: Principal, request: PushRequest
) -> tuple[PushResponse, ChangeSet]:
    replica = await bind_replica(session, principal, request.client_id, create=True)
    assert replica is not None
    author = await author_of(session, principal, replica)
    scopes = await scopes_for(session, author)
    changes, now = ChangeSet(), utcnow()
    batch = Batch(replica)
    fresh = [m.id for m in request.mutations if m.seq > replica.last_seq]
    if fresh:
        used = await (await session.connection()).execute(_USED_IDS, {"ids": fresh})
        batch.used_ids = set(used.scalars())
    # The batch's context; each mutation gets a copy with its own envelope (and its own conflicts).
    base = MutationContext(
        session,
        author,
        scopes,
        changes,
        None,
        now,
        settings,
        replica.created_at,
        replica_id=replica.id,
        cache=batch.cache,
        deferred=batch.deferred,
        locks=batch.locks,
        accesses=batch.logged,
    )
    fresh_envelopes = [m for m in request.mutations if m.seq > replica.last_seq]
    prepared = await authorisation.redirect_merged(session, _convert(fresh_envelopes))
    # Every declaration of the batch, resolved at once, before any handler runs.
    base.resolved = await authorisation.resolve(
        session, author, (spec.handler.touches(args) for spec, args in prepared.values())
    )
    await _prepare(base, fresh_envelopes, prepared)
    results: list[MutationResult] = []
    error: PushError | None = None
    # A device credential flushes what its signed-out user had queued, and nothing after (protocol §2).
    bound = (replica.signed_out_seq or replica.last_seq) if principal.user_id is None else None
    for envelope in request.mutations:
        if envelope.seq <= batch.last_seq:
            stored = batch.find(envelope.seq)
            if stored is None:
                row = await session.get(SyncMutation, (replica.id, envelope.seq))
                stored = result_of(row) if row is not None else None
            if stored is not None and stored.id != envelope.id:
                raise Conflict(
                    f"seq {envelope.seq} was already used by another mutation.",
                    code="seq_reused",
                    details={"seq": envelope.seq},
                )
            if stored is not None:
                results.append(stored)
            continue
        if envelope.seq > batch.last_seq + 1:
            error = PushError(code="seq_gap", expected_seq=batch.last_seq + 1)
            break
        if bound is not None and envelope.seq > bound:
            error = PushError(code=SIGN_IN_REQUIRED, expected_seq=envelope.seq)
            break
        ctx = replace(base, envelope=envelope, conflict_ids=[], declared=set(), logged=set())
        results.append(await _run(ctx, batch, prepared.get(envelope.seq)))
        batch.last_seq = envelope.seq
    await batch.deferred.run()
    await batch.write(session)
    # What the handlers logged, then the declared clients: one head lock and one executemany for the push.
    batch.logged.entries += [(actor, access, now) for actor, access in batch.accesses]
    await batch.logged.write(session)
    await changes.flush(session)
    replica.last_push_at = now
    replica.app_build = request.app_build or replica.app_build
    return PushResponse(last_seq=replica.last_seq, server_time=now, results=results, error=error), changes


class Batch:
    """What one push accumulates and writes once at the end: outcomes, counters, `last_seq`.

    Writing them per mutation would cost statements (an UPDATE of the replica row, an INSERT per outcome)
    at every savepoint; written together they are one UPDATE and one executemany INSERT, straight to the
    table: building ORM objects for a hundred outcomes costs more than the SQL does.
    """

    def __init__(self, replica: Replica) -> None:
        self.replica = replica
        self.last_seq = replica.last_seq
        self.outcomes: list[dict[str, Any]] = []
        self.by_id: set[uuid.UUID] = set()
        self.by_seq: dict[int, MutationResult] = {}
        self.counts = {"applied": 0, "rejected": 0, "conflict": 0}
        # Shared by the batch's mutations for lookups that do not change within a push (units, codes…).
        self.cache: dict[object, object] = {}
        # Writes that handlers put off to the end of their run of mutations (see `Deferred`).
        self.deferred: Deferred = Deferred()
        # Locks that `prepare` hooks ask for, taken together (see `MutationContext.lock_together`).
        self.locks: dict[Any, set[Any]] = {}
        # Access-log entries that the batch's handlers logged, appended with the declared ones at the end.
        self.logged = AccessBuffer()
        # Mutation ids already stored for another (replica, seq): unique forever, so such a mutation is refused.
        self.used_ids: set[uuid.UUID] = set()
        # Access-log entries of the declared clients, written together at the end (one head lock).
        self.accesses: list[tuple[Actor, Access]] = []

    def find(self, seq: int) -> MutationResult | None:
        return self.by_seq.get(seq)

    def add(self, outcome: dict[str, Any], result: MutationResult) -> None:
        self.outcomes.append(outcome)
        self.by_id.add(result.id)
        self.by_seq[result.seq] = result
        self.counts[result.status] += 1

    async def write(self, session: AsyncSession) -> None:
        if self.outcomes:
            await (await session.connection()).execute(insert(OUTCOMES), self.outcomes)
        replica = self.replica
        replica.last_seq = self.last_seq
        replica.applied_count += self.counts["applied"]
        replica.rejected_count += self.counts["rejected"]
        replica.conflict_count += self.counts["conflict"]


def _convert(envelopes: list[MutationEnvelope]) -> dict[int, tuple[MutationSpec, Any]]:
    """Each mutation's spec and converted args by `seq`; those that do not convert are left out (they are
    rejected when their turn comes, with the reason)."""
    converted: dict[int, tuple[MutationSpec, Any]] = {}
    for envelope in envelopes:
        try:
            converted[envelope.seq] = catalog.lookup(envelope.name, envelope.version, envelope.args)
        except (UnknownMutation, InvalidArgs):
            continue
    return converted


async def _prepare(
    ctx: MutationContext, envelopes: list[MutationEnvelope], converted: dict[int, tuple[MutationSpec, Any]]
) -> None:
    """Give each mutation's `prepare` hook the whole batch's args of its name, once, before any runs."""
    grouped: dict[str, list[Any]] = {}
    for envelope in envelopes:
        found = converted.get(envelope.seq)
        handler = found[0].handler if found is not None else None
        if getattr(handler, "prepare", None) is not None or getattr(handler, "loads", None):
            grouped.setdefault(envelope.name, []).append(found[1])
    for name, batch in grouped.items():
        handler = catalog.get(name).handler
        await preload(ctx, handler, batch)
        if handler.prepare is not None:
            await handler.prepare(ctx, batch)
    # Each kind of lock once for the whole batch, the kinds always in the same order.
    for lock, keys in sorted(ctx.locks.items(), key=lambda item: item[0].__qualname__):
        await lock(ctx.session, keys)


class _Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


async def _run(
    ctx: MutationContext, batch: Batch, prepared: tuple[MutationSpec, Any] | None = None
) -> MutationResult:
    envelope, session = ctx.envelope, ctx.session
    status, result, code, message, details = "applied", None, None, None, None
    try:
        if envelope.id in batch.used_ids or envelope.id in batch.by_id:
            raise _Refused("duplicate_id", "This mutation id was already used by another mutation.")
        spec, args = prepared or catalog.lookup(envelope.name, envelope.version, envelope.args)
        touches = list(spec.handler.touches(args))
        refused = authorisation.refusal(touches, ctx.author, ctx.scopes, ctx.resolved)
        ctx.declared = {c for c in ctx.resolved.client_ids(touches) if c is not None}
        if refused is not None:
            _log(ctx, batch, "write_refused", ctx.declared)
            raise _Refused("forbidden", refused)
    except _Refused as exc:
        status, code, message = "rejected", exc.code, exc.message
    except UnknownMutation as exc:
        status, code, message = "rejected", "unknown_mutation", str(exc)
    except InvalidArgs as exc:
        status, code, message, details = "rejected", "invalid_args", str(exc), exc.details
    else:
        # Writes put off by a run of mutations of another kind land before this one reads anything.
        await batch.deferred.run(unless=spec.handler)
        mark = _mark(ctx)
        ctx.changes.client_guard = _guard(ctx, envelope.name)
        try:
            if getattr(spec.handler, "savepoint", True):
                async with session.begin_nested():
                    result = await spec.handler(ctx, args)
            else:
                result = await spec.handler(ctx, args)
        except Rejected as exc:
            _rollback(ctx, mark)
            status, code, message, details = "rejected", exc.code, exc.message, exc.details or None
        except IntegrityError:
            _rollback(ctx, mark)
            status, code = "rejected", "duplicate"
            message = "A record with this id already exists with other content."
        else:
            ctx.resolved.created |= {t.id for t in touches if isinstance(t, authorisation.Client) and t.new}
            _log(ctx, batch, envelope.name, ctx.declared - ctx.logged)
            if ctx.conflict_ids:
                status = "conflict"
                if len(ctx.conflict_ids) > 1:
                    details = {"conflict_ids": [str(c) for c in ctx.conflict_ids]}
        finally:
            ctx.changes.client_guard = None
    conflict_id: uuid.UUID | None = ctx.conflict_ids[0] if ctx.conflict_ids else None
    stored_id: uuid.UUID | None = envelope.id
    if code == "duplicate_id":
        stored_id, details = None, {"mutation_id": str(envelope.id)}
    outcome = MutationResult(
        id=envelope.id,
        seq=envelope.seq,
        status=status,
        result=result,
        code=code,
        message=message,
        details=details,
        conflict_id=conflict_id,
    )
    batch.add(
        {
            "client_id": batch.replica.id,  # the column keeps the protocol's name for the replica
            "seq": envelope.seq,
            "id": stored_id,
            "name": envelope.name[:64],  # an unknown name may be longer than the column
            "version": envelope.version,
            "status": status,
            "code": code,
            "message": message,
            "details": details,
            "result": result,
            "conflict_id": conflict_id,
            "user_id": ctx.user_id,
            "client_time": envelope.client_time,
            "received_at": ctx.now,
        },
        outcome,
    )
    return outcome


def _guard(ctx: MutationContext, name: str) -> Callable[[str], None]:
    declared = {str(c) for c in ctx.declared}

    def check(client_id: str) -> None:
        if client_id not in declared:
            raise authorisation.UndeclaredClient(f"{name} publishes client {client_id} without declaring it.")

    return check


def _log(ctx: MutationContext, batch: Batch, operation: str, clients: set[uuid.UUID]) -> None:
    """An access-log entry per client the mutation declared (and its handler did not log itself)."""
    name = ctx.envelope.name if ctx.envelope else None
    for client_id in sorted(clients, key=str):
        basis = ctx.basis(client_id) if operation != "write_refused" else "none"
        actor = ctx.author.actor(role_of(basis, ctx.author))
        batch.accesses.append(
            (actor, Access("mutation", operation, basis, client_id=client_id, record_id=name))
        )


def _mark(ctx: MutationContext) -> tuple[int, int, int]:
    return ctx.changes.mark(), ctx.deferred.mark(), ctx.accesses.mark()


def _rollback(ctx: MutationContext, mark: tuple[int, int, int]) -> None:
    """A rejected mutation takes back what it put in the batch's memory (the savepoint, its SQL)."""
    changes, rows, accesses = mark
    ctx.changes.rollback_to(changes)
    for row in ctx.deferred.rollback_to(rows):
        ctx.cache.pop(("row", type(row), getattr(row, "id", None)), None)
    ctx.accesses.rollback_to(accesses)
    ctx.conflict_ids.clear()


# Reference rows (areas, units, code lists…) do not change within a push, and the session's identity map
# holds its rows only while something else does: a hundred mutations each asking for the same five code
# lists would read them five hundred times. Held here for the push, `session.get` finds them in memory.
PINNED = (Area, CodeList, Municipality, ServicePoint, Unit)


def pin_reference_rows(session: AsyncSession) -> Callable[[], None]:
    """Keep the reference rows the push loads until it ends; returns the function that lets them go."""
    pinned: list[Any] = []
    sync_session = session.sync_session

    def keep(_session: Any, instance: Any) -> None:
        if isinstance(instance, PINNED):
            pinned.append(instance)

    event.listen(sync_session, "loaded_as_persistent", keep)
    return lambda: event.remove(sync_session, "loaded_as_persistent", keep)
