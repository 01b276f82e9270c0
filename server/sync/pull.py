"""Pull (protocol §4): everything the replica lacks, after its cookie, in pages that end on a transaction.

One pull is one read transaction (REPEATABLE READ on PostgreSQL, a WAL snapshot on SQLite), so the ops,
`last_seq`, the outcomes and the scope checksums all describe the same moment.

A page is built in this order:
1. `purge` for every scope the replica held and no longer has (or asked to resync);
2. a snapshot of the scopes it newly has (first sync, an added scope, a resync), paged by record key;
3. the change log after the cookie's version, filtered to the replica's scopes through `change_scopes`.
A snapshot spans several transactions, so once it is complete the change log is replayed from the version
where it began: whatever changed meanwhile arrives again, in order, and the replica ends exact.

Most pulls find nothing new, so that case costs one statement after the transaction begins:
- `sync_head` and the client row are read together;
- the change-log query is skipped when the cookie is already at the head version (it could only be empty);
- the outcomes query is skipped when the client's `last_seq` equals the cookie's (every stored outcome has
  `seq <= last_seq`: push writes them in the transaction that moves `last_seq`);
- the scope summaries are cached per head version: `scope_state` only changes in the transaction that
  moves `sync_head.version` (`ChangeSet.flush`), so one version has one set of checksums.
Each shortcut leaves exactly the answer the full path would give.

Snapshots and changes read each record's JSON columns as text and decode them with msgspec (no ORM
objects, no stdlib `json`), and a page's size is reckoned from the stored text (`_data_size`) rather than
by encoding every op once more. Snapshot keys are read one index range per scope (`_next_keys`), about as
many as the page has room for (`_batch_size`).
"""

from __future__ import annotations

import json
import uuid
import weakref
from dataclasses import dataclass, field
from typing import Any

import msgspec
from sqlalchemy import Text, bindparam, cast, literal, select, tuple_, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from server.access_log import service as access_log
from server.access_log.service import Access
from server.accounts.principal import Principal
from server.accounts.scopes import scopes_for
from server.db import begin_write, utcnow
from server.errors import Forbidden
from server.sync.cookie import SCHEMA_VERSION, Cookie, Snapshot, decode_cookie, encode_cookie
from server.sync.models import (
    Change,
    ChangeScope,
    RecordScope,
    Replica,
    ScopeState,
    SyncHead,
    SyncMutation,
    SyncRecord,
)
from server.sync.push import check_protocol, result_of
from server.sync.replicas import bind_replica
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

SNAPSHOT_BATCH = 1000
"""Record keys read per snapshot query at most; fewer when the page has room for fewer (`_batch_size`)."""
MIN_SNAPSHOT_BATCH = 32
CHANGES_BATCH = 1000
SUMMARY_VERSIONS = 8
"""Head versions whose scope summaries are kept in memory (per engine)."""
_size = msgspec.json.Encoder()
# `{"op":"put","type":"","id":"","version":,"scopes":[],"data":}`: a put's JSON besides its values;
# `{"op":"del","type":"","id":"","version":}` a del's, with a version of up to 20 digits.
_PUT_FRAME = 61
_DEL_FRAME = 41 + 20


@dataclass
class Page:
    budget: int
    ops: list[Op] = field(default_factory=list)
    used: int = 0

    def add(self, op: Op, size: int | None = None) -> None:
        """Append `op`; `size` is its encoded length as the caller estimated it (measured when not given)."""
        self.ops.append(op)
        self.used += len(_size.encode(op)) if size is None else size

    @property
    def full(self) -> bool:
        return self.used >= self.budget


_HEAD_AND_CLIENT = (
    select(SyncHead, Replica)
    .outerjoin(Replica, Replica.id == bindparam("client_id", type_=Replica.__table__.c.id.type))
    .where(SyncHead.id == 1)
)
"""Built once: constructing the statement cost more than running it."""


async def pull(
    session: AsyncSession,
    principal: Principal,
    request: PullRequest,
    page_bytes: int = PAGE_TARGET_BYTES,
    *,
    cookie_key: bytes,
) -> tuple[PullResponse, Any]:
    """Build one page. Returns the response and the client row (for the health update after commit)."""
    check_protocol(request.protocol)
    if principal.user_id is None:
        raise Forbidden("Pulling needs a signed-in user; a device credential can only flush an outbox.")
    if session.bind.dialect.name == "postgresql":
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    # The head and the client row in one statement; `bind_replica` then finds the row in the identity map.
    head, client = (await session.execute(_HEAD_AND_CLIENT, {"client_id": request.client_id})).one()
    if client is not None:
        client = await bind_replica(session, principal, request.client_id, create=False)
    scopes = sorted(await scopes_for(session, principal))
    last_seq = client.last_seq if client else 0

    cookie = decode_cookie(request.cookie, cookie_key) if request.cookie else None
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
        summaries = await _summaries(session, scopes, head.version)
        cookie.ls = last_seq
    response = PullResponse(
        cookie=encode_cookie(cookie, cookie_key),
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
        if not fresh:
            # Every scope it was paging out went away (a role added and removed mid-snapshot): the purges
            # above say so, and the change log carries on from where the snapshot began.
            snap = None
    else:
        snap = Snapshot(scopes=fresh) if fresh else None
    return Cookie(v=cookie.v, scopes=scopes, ls=cookie.ls, snap=snap)


async def _snapshot(session: AsyncSession, cookie: Cookie, scopes: set[str], page: Page) -> None:
    """Page out every record in the snapshot's scopes, by record key; clears `cookie.snap` when done."""
    snap = cookie.snap
    assert snap is not None
    held = _HeldScopes(scopes)
    while True:
        limit = _batch_size(page)
        batch = _next_keys(snap, limit).subquery()
        rows = (
            await session.execute(
                select(
                    SyncRecord.record_type,
                    SyncRecord.record_id,
                    SyncRecord.version,
                    cast(SyncRecord.scopes, Text),
                    cast(SyncRecord.data, Text),
                )
                .join(
                    batch,
                    (SyncRecord.record_type == batch.c.record_type)
                    & (SyncRecord.record_id == batch.c.record_id),
                )
                .order_by(SyncRecord.record_type, SyncRecord.record_id)
            )
        ).all()
        for record_type, record_id, version, scopes_text, data_text in rows:
            now_in, frame = held(scopes_text)
            page.add(
                PutOp(type=record_type, id=record_id, version=version, scopes=now_in, data=_json(data_text)),
                frame + len(record_type) + len(record_id) + len(str(version)) + _data_size(data_text),
            )
            snap.after_type, snap.after_id = record_type, record_id
            if page.full:
                return
        if len(rows) < limit:
            cookie.snap = None
            return


def _batch_size(page: Page) -> int:
    """How many records the page still has room for, judged by the ops already on it (plus one).

    Rows read past a full page are read again by the next pull: asking for about what fits keeps that
    waste small without a query per handful of records.
    """
    if not page.ops or page.used <= 0:
        return SNAPSHOT_BATCH
    room = max(0, page.budget - page.used) * len(page.ops) // page.used + 1
    return max(MIN_SNAPSHOT_BATCH, min(SNAPSHOT_BATCH, room))


def _next_keys(snap: Snapshot, limit: int = SNAPSHOT_BATCH) -> Any:
    """The next `limit` record keys of the snapshot's scopes after its position, in key order.

    One index range per scope (`record_scopes` is keyed by scope, type, id), each stopping after a batch,
    merged and deduplicated: the cost of a batch does not grow with the scope's size. (A single
    `scope IN (…)` with the position as an OR read every remaining key of the scopes and sorted them.)
    """
    per_scope = []
    for scope in snap.scopes:
        keys = select(RecordScope.record_type, RecordScope.record_id).where(RecordScope.scope == scope)
        if snap.after_type or snap.after_id:
            keys = keys.where(
                tuple_(RecordScope.record_type, RecordScope.record_id)
                > tuple_(literal(snap.after_type), literal(snap.after_id))
            )
        ranged = keys.order_by(RecordScope.record_type, RecordScope.record_id).limit(limit).subquery()
        per_scope.append(select(ranged.c.record_type, ranged.c.record_id))
    merged = union_all(*per_scope).subquery()
    return (
        select(merged.c.record_type, merged.c.record_id)
        .distinct()
        .order_by(merged.c.record_type, merged.c.record_id)
        .limit(limit)
    )


async def _changes(session: AsyncSession, cookie: Cookie, scopes: list[str], head: int, page: Page) -> bool:
    """Append changes after `cookie.v`; returns True if more remain. Moves `cookie.v` to a tx boundary."""
    held = set(scopes)
    held_in = _HeldScopes(held)
    if cookie.v >= head:
        # Already at the head: the query below could only come back empty.
        cookie.v = head
        return False
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
            await session.execute(
                select(
                    Change.version,
                    Change.tx_last,
                    Change.record_type,
                    Change.record_id,
                    Change.op,
                    cast(Change.scopes, Text),
                    cast(Change.old_scopes, Text),
                    cast(Change.data, Text),
                )
                .where(Change.version.in_(versions))
                .order_by(Change.version)
            )
        ).all()
        for version, tx_last, record_type, record_id, kind, scopes_text, old_text, data_text in changes:
            now_in, frame = held_in(scopes_text)
            if kind == "put" and now_in:
                data = _json(data_text) if data_text is not None else None
                page.add(
                    PutOp(type=record_type, id=record_id, version=version, scopes=now_in, data=data or {}),
                    frame
                    + len(record_type)
                    + len(record_id)
                    + len(str(version))
                    + _data_size(data_text or "{}"),
                )
            elif any(s in held for s in _json(old_text)):
                page.add(
                    DelOp(type=record_type, id=record_id, version=version),
                    _DEL_FRAME + len(record_type) + len(record_id),
                )
            cookie.v = version
            if page.full and version == tx_last:
                return cookie.v < head
        if len(versions) < CHANGES_BATCH:
            cookie.v = head
            return False


def _json(text: str | bytes | None) -> Any:
    """A JSON column read as text (`CAST(… AS TEXT)`: raw on both engines), decoded; None for SQL NULL."""
    if text is None:
        return None
    try:
        return msgspec.json.decode(text)
    except msgspec.DecodeError:
        return json.loads(text)  # what the column's own type would do (NaN, huge integers)


def _put_size(record_type: str, record_id: str, version: int, scopes: list[str], data_text: str) -> int:
    """A put's JSON length, from the stored text of its data (see `_data_size`)."""
    return _frame(scopes) + len(record_type) + len(record_id) + len(str(version)) + _data_size(data_text)


def _data_size(text: str) -> int:
    """The compact JSON length (UTF-8 bytes) of a JSON column's stored text, without decoding it.

    The column holds msgspec's compact JSON (`server.db.JSON_CODEC`), or `json.dumps` output in rows
    written before it: `", "` and `": "` between items, non-ASCII escaped as `\\uXXXX` (longer than its
    UTF-8). Exact for both, except one byte under for each `", "` or `": "` inside a string value (an
    address, a note): pages stay within the budget to within a few bytes a record.
    """
    size = len(text) if text.isascii() else len(text.encode())
    return size - text.count(", ") - text.count(": ")


def _frame(scopes: list[str]) -> int:
    """A put's JSON length besides its type, id and data: the keys, a version, the scopes list."""
    return _PUT_FRAME + sum(len(s) + 3 for s in scopes) - (1 if scopes else 0)


class _HeldScopes:
    """A record's scopes (JSON text) → those the replica holds, with `_frame` of them; memoised, since
    the records of a pull share a few scope lists (the ops then share the list: it is only encoded)."""

    def __init__(self, held: set[str]) -> None:
        self.held = held
        self.known: dict[str, tuple[list[str], int]] = {}

    def __call__(self, text: str) -> tuple[list[str], int]:
        known = self.known.get(text)
        if known is None:
            now_in = [s for s in _json(text) if s in self.held]
            known = self.known[text] = (now_in, _frame(now_in))
        return known


async def _outcomes(session: AsyncSession, client: Any, after_seq: int) -> list[Any]:
    # Outcomes are written in the transaction that moves `last_seq` past them: none lies beyond it.
    if client is None or client.last_seq <= after_seq:
        return []
    rows = (
        (
            await session.execute(
                select(SyncMutation)
                .where(
                    SyncMutation.replica_id == client.id,
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


_EMPTY = ScopeChecksum.from_signed(0, 0).summary()
_summary_cache: weakref.WeakKeyDictionary[Any, dict[int, dict[str, ScopeSummary]]] = (
    weakref.WeakKeyDictionary()
)


async def _summaries(session: AsyncSession, scopes: list[str], version: int) -> dict[str, ScopeSummary]:
    """Each scope's count and checksum at head `version` (read in this pull's transaction).

    `scope_state` changes only in the transaction that moves `sync_head.version`, so the summaries of one
    version never change: they are kept per engine for the last few versions, and a pull at a version
    already seen reads nothing.
    """
    by_version = _summary_cache.setdefault(session.bind.sync_engine, {})
    cached = by_version.get(version)
    if cached is not None and all(scope in cached for scope in scopes):
        return {scope: cached[scope] for scope in scopes}
    rows = (
        await session.execute(
            select(ScopeState.scope, ScopeState.count, ScopeState.checksum).where(
                ScopeState.scope.in_(scopes)
            )
        )
    ).all()
    known = {scope: ScopeChecksum.from_signed(count, checksum).summary() for scope, count, checksum in rows}
    summaries = {scope: known.get(scope, _EMPTY) for scope in scopes}
    if cached is None:
        cached = by_version[version] = {}
        for old in sorted(by_version)[:-SUMMARY_VERSIONS]:
            del by_version[old]
    cached.update(summaries)
    return summaries


async def log_downloads(session: AsyncSession, principal: Principal, response: PullResponse) -> None:
    """One access-log entry per client record the page sends to the device (asiakastietolaki 703/2023 §11:
    a download is a processing of client data), all in one append; the basis is the scope it came by."""
    sent = {op.id: op.scopes for op in response.ops if isinstance(op, PutOp) and op.type == "client"}
    if not sent:
        return
    accesses = [
        Access(
            "client", "sync_download", f"scope:{scopes[0] if scopes else 'none'}", client_id=uuid.UUID(cid)
        )
        for cid, scopes in sorted(sent.items())
    ]
    await begin_write(session)
    await access_log.record(session, principal.actor(), accesses)
    await session.commit()
