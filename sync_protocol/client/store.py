"""The client's local store: the server replica, the outbox, held outcomes and the sync cursor.

:class:`Store` implements every rule once, over a handful of storage primitives;
:class:`~sync_protocol.client.memory_store.MemoryStore` and
:class:`~sync_protocol.client.sqlite_store.SQLiteStore` only provide those primitives, so both behave the
same. The replica holds *server* state only (what the pulls said, with versions and scopes); optimistic
effects of pending mutations live in :mod:`sync_protocol.client.view`, so per-scope checksums always
describe server state and can be compared with the server's.

A pull page is applied in one transaction: records, checksums, cookie, ``last_seq``, outbox pruning and
held outcomes together. Applying a page twice gives the same state (``put`` replaces, ``del`` of a missing
record and ``purge`` of an empty scope do nothing), so a crash before the commit only repeats the page.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Any

import msgspec

from sync_protocol.checksum import ScopeChecksum
from sync_protocol.client.model import (
    UNACKNOWLEDGED,
    HeldOutcome,
    OutboxStatus,
    PendingMutation,
    StoredRecord,
    SyncState,
)
from sync_protocol.messages import (
    DelOp,
    MutationResult,
    PullResponse,
    PurgeOp,
    PutOp,
)

__all__ = [
    "HeldOutcome",
    "OutboxStatus",
    "PendingMutation",
    "Store",
    "StoredRecord",
    "SyncState",
]


class Store(ABC):
    """A client's local store. Subclasses implement the primitives (``_``-prefixed abstract methods)."""

    # --- primitives -------------------------------------------------------------------------------------

    def _transaction(self) -> AbstractContextManager[Any]:
        """Group primitives into one atomic unit (re-entrant)."""
        return nullcontext()

    @abstractmethod
    def _meta(self) -> dict[str, Any]: ...
    @abstractmethod
    def _set_meta(self, **values: Any) -> None: ...
    @abstractmethod
    def _get_record(self, type_: str, id_: str) -> StoredRecord | None: ...
    @abstractmethod
    def _put_record(self, record: StoredRecord) -> None: ...
    @abstractmethod
    def _delete_record(self, type_: str, id_: str) -> None: ...
    @abstractmethod
    def _iter_records(self, type_: str | None) -> Iterator[StoredRecord]: ...
    @abstractmethod
    def _records_in_scope(self, scope: str) -> list[StoredRecord]: ...
    @abstractmethod
    def _sums(self) -> dict[str, ScopeChecksum]: ...
    @abstractmethod
    def _add_to_sums(self, deltas: dict[str, ScopeChecksum]) -> None:
        """Add ``(count, sum)`` deltas per scope; drop scopes whose count reaches zero."""

    @abstractmethod
    def _delete_sum(self, scope: str) -> None: ...
    @abstractmethod
    def _clear_replica(self) -> None: ...
    @abstractmethod
    def _insert_mutation(self, mutation: PendingMutation) -> None: ...
    @abstractmethod
    def _mutations(self, statuses: Sequence[str] | None, limit: int | None) -> list[PendingMutation]: ...
    @abstractmethod
    def _get_mutation(self, seq: int) -> PendingMutation | None: ...
    @abstractmethod
    def _set_status(self, seqs: Iterable[int], status: OutboxStatus) -> None: ...
    @abstractmethod
    def _delete_mutations(self, seqs: Iterable[int] = (), up_to: int | None = None) -> None: ...
    @abstractmethod
    def _renumber(self, changes: list[tuple[int, int]]) -> None:
        """Move entries ``old seq -> new seq``, given in ascending order with new <= old."""

    @abstractmethod
    def _hold(self, outcome: HeldOutcome) -> None:
        """Keep ``outcome`` unless one with the same id is already held."""

    @abstractmethod
    def _held(self) -> list[HeldOutcome]: ...
    @abstractmethod
    def _dismiss(self, outcome_id: uuid.UUID) -> None: ...
    @abstractmethod
    def _wipe(self) -> None: ...

    def storage_used(self) -> int | None:
        """Bytes used on disk, when known."""
        return None

    def close(self) -> None:
        """Release resources (nothing to release by default)."""
        return None

    # --- state -------------------------------------------------------------------------------------------

    def _ensure_client_id(self) -> None:
        if "client_id" not in self._meta():
            self._set_meta(client_id=str(uuid.uuid4()), next_seq=1, last_seq=0)

    @property
    def client_id(self) -> uuid.UUID:
        """This replica's ``client_id``, generated once per store (and again after :meth:`wipe`)."""
        return uuid.UUID(self._meta()["client_id"])

    def state(self) -> SyncState:
        return msgspec.convert(self._meta(), SyncState)

    def set_last_error(self, error: str | None) -> None:
        self._set_meta(last_error=error)

    def stop_pushing(self, reason: str) -> None:
        """Stop pushing for good (``seq_reused``); reported in ``health.last_error``."""
        self._set_meta(push_stopped=reason, last_error=reason)

    # --- replica -----------------------------------------------------------------------------------------

    def get(self, type_: str, id_: str) -> StoredRecord | None:
        return self._get_record(type_, str(id_))

    def records(self, type_: str | None = None) -> list[StoredRecord]:
        """Every record (of ``type_``), ordered by ``(type, id)``."""
        return sorted(self._iter_records(type_), key=lambda r: (r.type, r.id))

    def scope_checksums(self) -> dict[str, ScopeChecksum]:
        """Per-scope ``(count, sum)`` of the replica, kept up to date in O(1) per change."""
        return self._sums()

    def apply_page(self, page: PullResponse, *, sent_resync: Sequence[str] = ()) -> list[str]:
        """Apply one pull page atomically; on the last page verify the scope checksums.

        Returns the scopes whose local count or checksum differs from ``page.scopes`` (last page only); they
        are stored as ``resync_scopes`` for the next pull. ``sent_resync`` are the scopes this pull asked to
        resync: the server has now handled them.
        """
        with self._transaction():
            if page.reset:
                self._clear_replica()
            deltas: dict[str, ScopeChecksum] = {}
            for op in page.ops:
                if isinstance(op, PutOp):
                    self._apply_put(op, deltas)
                elif isinstance(op, DelOp):
                    self._apply_del(op.type, op.id, deltas)
                elif isinstance(op, PurgeOp):
                    self._apply_purge(op.scope, deltas)
            self._add_to_sums(deltas)
            self._settle_pull(page)
            resync = [s for s in self._meta().get("resync_scopes", []) if s not in sent_resync]
            mismatched: list[str] = []
            if not page.has_more:
                mismatched = self._mismatched_scopes(page)
                resync = sorted(set(resync) | set(mismatched))
            self._set_meta(
                cookie=page.cookie,
                last_seq=page.last_seq,
                complete=not page.has_more,
                resync_scopes=resync,
            )
        return mismatched

    def _apply_put(self, op: PutOp, deltas: dict[str, ScopeChecksum]) -> None:
        old = self._get_record(op.type, op.id)
        if old is not None:
            for scope in old.scopes:
                deltas[scope] = deltas.get(scope, ScopeChecksum()).remove(old.type, old.id, old.version)
        record = StoredRecord(
            type=op.type, id=op.id, version=op.version, scopes=tuple(sorted(set(op.scopes))), data=op.data
        )
        self._put_record(record)
        for scope in record.scopes:
            deltas[scope] = deltas.get(scope, ScopeChecksum()).add(record.type, record.id, record.version)

    def _apply_del(self, type_: str, id_: str, deltas: dict[str, ScopeChecksum]) -> None:
        old = self._get_record(type_, id_)
        if old is None:
            return
        for scope in old.scopes:
            deltas[scope] = deltas.get(scope, ScopeChecksum()).remove(old.type, old.id, old.version)
        self._delete_record(type_, id_)

    def _apply_purge(self, scope: str, deltas: dict[str, ScopeChecksum]) -> None:
        for record in self._records_in_scope(scope):
            remaining = tuple(s for s in record.scopes if s != scope)
            if remaining:
                self._put_record(msgspec.structs.replace(record, scopes=remaining))
            else:
                self._delete_record(record.type, record.id)
        # The scope is now empty: whatever was accumulated or stored for it is void.
        deltas.pop(scope, None)
        self._delete_sum(scope)

    def _mismatched_scopes(self, page: PullResponse) -> list[str]:
        if not page.scopes:
            return []  # no summary sent: nothing to verify (never resync everything on an omission)
        local = self._sums()
        names = set(page.scopes) | {s for s, c in local.items() if c.count}
        mismatched = []
        for scope in names:
            mine = local.get(scope, ScopeChecksum())
            theirs = page.scopes.get(scope)
            if theirs is None or (mine.count, mine.hex) != (theirs.count, theirs.checksum):
                mismatched.append(scope)
        return sorted(mismatched)

    def reset_replica(self) -> None:
        """Discard the replica and the cursor; keep the outbox, held outcomes and ``client_id``."""
        with self._transaction():
            self._clear_replica()
            self._set_meta(cookie=None, complete=False, resync_scopes=[])

    def wipe(self) -> None:
        """Erase everything, outbox included; the store becomes a new client."""
        with self._transaction():
            self._wipe()
            self._ensure_client_id()

    # --- outbox ------------------------------------------------------------------------------------------

    def enqueue(
        self,
        name: str,
        version: int,
        args: dict[str, Any],
        *,
        client_time: datetime | None = None,
        base_version: int | None = None,
        mutation_id: uuid.UUID | None = None,
    ) -> PendingMutation:
        """Append a mutation with the next ``seq`` (allocated in the same transaction)."""
        with self._transaction():
            seq = int(self._meta()["next_seq"])
            mutation = PendingMutation(
                seq=seq,
                id=mutation_id or uuid.uuid4(),
                name=name,
                version=version,
                args=args,
                client_time=client_time,
                base_version=base_version,
            )
            self._insert_mutation(mutation)
            self._set_meta(next_seq=seq + 1)
        return mutation

    def outbox(self) -> list[PendingMutation]:
        """Every outbox entry in ``seq`` order (what the optimistic view re-applies)."""
        return self._mutations(None, None)

    def unacknowledged(self, limit: int | None = None) -> list[PendingMutation]:
        """Entries still to push (``pending`` or ``sent``), in ``seq`` order."""
        return self._mutations(UNACKNOWLEDGED, limit)

    def mark_sent(self, seqs: Iterable[int]) -> None:
        self._set_status(seqs, "sent")

    def settle_push(self, results: Sequence[MutationResult]) -> list[MutationResult]:
        """Record a push response's results; returns the rejections and conflicts among them.

        Rejected entries leave the outbox now (their optimistic effects must disappear); applied and
        conflicting ones become ``applied`` and leave with the pull that includes their effects.
        """
        held = []
        with self._transaction():
            for result in results:
                entry = self._get_mutation(result.seq)
                if entry is not None and entry.id != result.id:
                    entry = None  # not ours: never drop an entry on another mutation's result
                if result.status != "applied":
                    held.append(result)
                    self._hold(_to_held(result, entry))
                if entry is None:
                    continue
                if result.status == "rejected":
                    self._delete_mutations(seqs=[entry.seq])
                else:
                    self._set_status([entry.seq], "applied")
        return held

    def _settle_pull(self, page: PullResponse) -> None:
        for outcome in page.outcomes:
            if outcome.status != "applied":
                entry = self._get_mutation(outcome.seq)
                self._hold(_to_held(outcome, entry if entry and entry.id == outcome.id else None))
        # Every mutation up to last_seq has a known outcome (applied unless listed) and its effects are in
        # this snapshot: it leaves the outbox.
        self._delete_mutations(up_to=page.last_seq)

    def requeue_from(self, expected_seq: int) -> None:
        """Answer a ``seq_gap``: resend from ``expected_seq``.

        If the server lost mutations the outbox no longer holds (a restored backup), the remaining entries
        are renumbered from ``expected_seq`` so the sequence has no gap; their ids are kept.
        """
        with self._transaction():
            seqs = [m.seq for m in self._mutations(None, None) if m.seq >= expected_seq]
            if seqs and seqs[0] != expected_seq:
                renumbered = list(range(expected_seq, expected_seq + len(seqs)))
                self._renumber(list(zip(seqs, renumbered, strict=True)))
                self._set_meta(next_seq=expected_seq + len(seqs))
                seqs = renumbered
            self._set_status(seqs, "pending")

    def outbox_stats(self) -> tuple[int, datetime | None]:
        """``(depth, oldest client_time)`` of the unacknowledged entries, for ``health``."""
        entries = self.unacknowledged()
        times = [m.client_time for m in entries if m.client_time is not None]
        return len(entries), min(times) if times else None

    # --- held outcomes -----------------------------------------------------------------------------------

    def held_outcomes(self) -> list[HeldOutcome]:
        """Rejections and conflicts not yet dismissed, in ``seq`` order."""
        return sorted(self._held(), key=lambda o: o.seq)

    def dismiss(self, outcome_id: uuid.UUID) -> None:
        self._dismiss(outcome_id)


def _to_held(result: MutationResult, entry: PendingMutation | None) -> HeldOutcome:
    return HeldOutcome(
        id=result.id,
        seq=result.seq,
        status=result.status,  # type: ignore[arg-type]
        code=result.code,
        message=result.message,
        details=result.details,
        conflict_id=result.conflict_id,
        name=entry.name if entry else None,
        args=entry.args if entry else None,
    )
