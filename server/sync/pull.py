"""Pull (protocol §4): everything the replica lacks, after its cookie, in pages that end on a transaction.

One pull is one read transaction (REPEATABLE READ on PostgreSQL, a WAL snapshot on SQLite), so the ops,
`last_seq`, the outcomes and the scope checksums all describe the same moment.

A page is built in this order:
1. `purge` for every scope the replica held and no longer has (or asked to resync);
2. a snapshot of the scopes it newly has (first sync, an added scope, a resync), paged by record key;
3. the change log after the cookie's version, filtered to the replica's scopes through `change_scopes`.
A snapshot spans several transactions, so once it is complete the change log is replayed from the version
where it began: whatever changed meanwhile arrives again, in order, and the replica ends exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.principal import Principal
from server.db import utcnow
from server.errors import Forbidden
from server.sync.clients_registry import bind_client
from server.sync.cookie import SCHEMA_VERSION, Cookie, Snapshot, decode_cookie, encode_cookie
from server.sync.models import (
    Change,
    ChangeScope,
    RecordScope,
    ScopeState,
    SyncHead,
    SyncMutation,
    SyncRecord,
)
from server.sync.push import check_protocol, result_of
from server.sync.scopes import scopes_for
from sync_protocol.checksum import ScopeChecksum
from sync_protocol.messages import (
    PAGE_TARGET_BYTES,
    DelOp,
    Op,
    PullRequest,
    PullResponse,
    PurgeOp,
    PutOp,
    ScopeSummary,
)

SNAPSHOT_BATCH = 500
CHANGES_BATCH = 1000
_size = msgspec.json.Encoder()


@dataclass
class Page:
    budget: int
    ops: list[Op] = field(default_factory=list)
    used: int = 0

    def add(self, op: Op) -> None:
        self.ops.append(op)
        self.used += len(_size.encode(op))

    @property
    def full(self) -> bool:
        return self.used >= self.budget


async def pull(
    session: AsyncSession, principal: Principal, request: PullRequest, page_bytes: int = PAGE_TARGET_BYTES
) -> tuple[PullResponse, Any]:
    """Build one page. Returns the response and the client row (for the health update after commit)."""
    check_protocol(request.protocol)
    if principal.user_id is None:
        raise Forbidden("Pulling needs a signed-in user; a device credential can only flush an outbox.")
    if session.bind.dialect.name == "postgresql":
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    client = await bind_client(session, principal, request.client_id, create=False)
    head = (await session.execute(select(SyncHead).where(SyncHead.id == 1))).scalar_one()
    scopes = sorted(await scopes_for(session, principal))
    last_seq = client.last_seq if client else 0

    cookie = decode_cookie(request.cookie) if request.cookie else None
    reset = request.cookie is not None and (
        cookie is None or cookie.sv != SCHEMA_VERSION or cookie.v < head.compacted_before
    )
    page = Page(page_bytes)
    if cookie is None or reset:
        # A new replica, or one we cannot continue: a full snapshot, the change log from here on.
        cookie = Cookie(v=head.version, scopes=scopes, ls=0, snap=Snapshot(scopes=scopes))
    else:
        cookie = _adjust_scopes(cookie, scopes, request.resync_scopes, page)

    if cookie.snap is not None:
        await _snapshot(session, cookie, set(scopes), page)
    has_more = cookie.snap is not None
    if not has_more:
        has_more = await _changes(session, cookie, scopes, head.version, page)

    outcomes = await _outcomes(session, client, cookie.ls)
    summaries: dict[str, ScopeSummary] = {}
    if not has_more:
        summaries = await _summaries(session, scopes)
        cookie.ls = last_seq
    response = PullResponse(
        cookie=encode_cookie(cookie),
        last_seq=last_seq,
        has_more=has_more,
        reset=reset,
        server_time=utcnow(),
        ops=page.ops,
        outcomes=outcomes,
        scopes=summaries,
    )
    return response, client


def _adjust_scopes(cookie: Cookie, scopes: list[str], resync: list[str], page: Page) -> Cookie:
    """Purge scopes that went away (or are resynced); snapshot scopes that came (or are resynced)."""
    held, now = set(cookie.scopes), set(scopes)
    again = set(resync) & now
    for scope in sorted((held - now) | again):
        page.add(PurgeOp(scope=scope))
    fresh = sorted((now - held) | again)
    if cookie.snap is not None:
        # A snapshot was under way: it restarts for its remaining scopes plus the new ones.
        fresh = sorted((set(cookie.snap.scopes) & now) | set(fresh))
        snap = Snapshot(scopes=fresh, after_type=cookie.snap.after_type, after_id=cookie.snap.after_id)
        if again - set(cookie.snap.scopes):
            snap = Snapshot(scopes=fresh)
    else:
        snap = Snapshot(scopes=fresh) if fresh else None
    return Cookie(v=cookie.v, scopes=scopes, ls=cookie.ls, snap=snap)


async def _snapshot(session: AsyncSession, cookie: Cookie, scopes: set[str], page: Page) -> None:
    """Page out every record in the snapshot's scopes, by record key; clears `cookie.snap` when done."""
    snap = cookie.snap
    assert snap is not None
    while True:
        keys = select(RecordScope.record_type, RecordScope.record_id).where(
            RecordScope.scope.in_(snap.scopes)
        )
        if snap.after_type or snap.after_id:
            keys = keys.where(
                (RecordScope.record_type > snap.after_type)
                | ((RecordScope.record_type == snap.after_type) & (RecordScope.record_id > snap.after_id))
            )
        keys = keys.distinct().order_by(RecordScope.record_type, RecordScope.record_id).limit(SNAPSHOT_BATCH)
        batch = keys.subquery()
        rows = (
            (
                await session.execute(
                    select(SyncRecord)
                    .join(
                        batch,
                        (SyncRecord.record_type == batch.c.record_type)
                        & (SyncRecord.record_id == batch.c.record_id),
                    )
                    .order_by(SyncRecord.record_type, SyncRecord.record_id)
                )
            )
            .scalars()
            .all()
        )
        for record in rows:
            page.add(
                _put(record.record_type, record.record_id, record.version, record.scopes, record.data, scopes)
            )
            snap.after_type, snap.after_id = record.record_type, record.record_id
            if page.full:
                return
        if len(rows) < SNAPSHOT_BATCH:
            cookie.snap = None
            return


async def _changes(session: AsyncSession, cookie: Cookie, scopes: list[str], head: int, page: Page) -> bool:
    """Append changes after `cookie.v`; returns True if more remain. Moves `cookie.v` to a tx boundary."""
    held = set(scopes)
    while True:
        versions = (
            (
                await session.execute(
                    select(ChangeScope.version)
                    .where(
                        ChangeScope.scope.in_(scopes),
                        ChangeScope.version > cookie.v,
                        ChangeScope.version <= head,
                    )
                    .distinct()
                    .order_by(ChangeScope.version)
                    .limit(CHANGES_BATCH)
                )
            )
            .scalars()
            .all()
        )
        if not versions:
            cookie.v = head
            return False
        changes = (
            (
                await session.execute(
                    select(Change).where(Change.version.in_(versions)).order_by(Change.version)
                )
            )
            .scalars()
            .all()
        )
        for change in changes:
            op = _op_for(change, held)
            if op is not None:
                page.add(op)
            cookie.v = change.version
            if page.full and change.version == change.tx_last:
                return cookie.v < head
        if len(versions) < CHANGES_BATCH:
            cookie.v = head
            return False


def _op_for(change: Change, held: set[str]) -> Op | None:
    now_in = [s for s in change.scopes if s in held]
    if change.op == "put" and now_in:
        return PutOp(
            type=change.record_type,
            id=change.record_id,
            version=change.version,
            scopes=now_in,
            data=change.data or {},
        )
    if any(s in held for s in change.old_scopes):
        return DelOp(type=change.record_type, id=change.record_id, version=change.version)
    return None


def _put(
    record_type: str,
    record_id: str,
    version: int,
    record_scopes: list[str],
    data: dict[str, Any],
    held: set[str],
) -> PutOp:
    return PutOp(
        type=record_type,
        id=record_id,
        version=version,
        scopes=[s for s in record_scopes if s in held],
        data=data,
    )


async def _outcomes(session: AsyncSession, client: Any, after_seq: int) -> list[Any]:
    if client is None:
        return []
    rows = (
        (
            await session.execute(
                select(SyncMutation)
                .where(
                    SyncMutation.client_id == client.id,
                    SyncMutation.seq > after_seq,
                    SyncMutation.status != "applied",
                )
                .order_by(SyncMutation.seq)
            )
        )
        .scalars()
        .all()
    )
    return [result_of(row) for row in rows]


async def _summaries(session: AsyncSession, scopes: list[str]) -> dict[str, ScopeSummary]:
    rows = (await session.execute(select(ScopeState).where(ScopeState.scope.in_(scopes)))).scalars().all()
    known = {row.scope: ScopeChecksum.from_signed(row.count, row.checksum) for row in rows}
    return {scope: known.get(scope, ScopeChecksum.from_signed(0, 0)).summary() for scope in scopes}
