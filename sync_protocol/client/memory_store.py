"""A :class:`~sync_protocol.client.store.Store` in process memory (tests, the load generator).

Lost when the process ends. A page is applied without a journal: the cookie is written last and applying a
page twice is harmless, so an exception half-way only makes the next pull repeat the page.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import msgspec

from sync_protocol.checksum import MOD, ScopeChecksum
from sync_protocol.client.model import HeldOutcome, OutboxStatus, PendingMutation, StoredRecord
from sync_protocol.client.store import Store

__all__ = ["MemoryStore"]


class MemoryStore(Store):
    """A store in process memory."""

    def __init__(self) -> None:
        self._wipe()
        self._ensure_client_id()

    def _wipe(self) -> None:
        self._meta_values: dict[str, Any] = {}
        self._records: dict[tuple[str, str], StoredRecord] = {}
        self._by_scope: dict[str, set[tuple[str, str]]] = {}
        self._scope_sums: dict[str, ScopeChecksum] = {}
        self._outbox: dict[int, PendingMutation] = {}
        self._outcomes: dict[uuid.UUID, HeldOutcome] = {}

    def fork(self) -> MemoryStore:
        """A new replica with this one's records, checksums and cursor, but its own ``client_id`` and an
        empty outbox: how the load generator makes thousands of tablets of one unit without a first sync
        each. Only a replica that never pushed may be forked (its cursor carries its ``last_seq``)."""
        if self._outbox or self._meta_values.get("last_seq"):
            raise ValueError("only a replica that has not pushed can be forked")
        other = MemoryStore()
        other._records = dict(self._records)  # records are replaced on change, never changed in place
        other._by_scope = {scope: set(keys) for scope, keys in self._by_scope.items()}
        other._scope_sums = dict(self._scope_sums)
        other._meta_values = {**self._meta_values, "client_id": other._meta_values["client_id"]}
        return other

    def _meta(self) -> dict[str, Any]:
        return dict(self._meta_values)

    def _set_meta(self, **values: Any) -> None:
        self._meta_values.update(values)

    def _get_record(self, type_: str, id_: str) -> StoredRecord | None:
        return self._records.get((type_, id_))

    def _put_record(self, record: StoredRecord) -> None:
        key = (record.type, record.id)
        self._unindex(key)
        self._records[key] = record
        for scope in record.scopes:
            self._by_scope.setdefault(scope, set()).add(key)

    def _unindex(self, key: tuple[str, str]) -> None:
        old = self._records.get(key)
        for scope in old.scopes if old else ():
            keys = self._by_scope.get(scope)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_scope[scope]

    def _delete_record(self, type_: str, id_: str) -> None:
        self._unindex((type_, id_))
        self._records.pop((type_, id_), None)

    def _iter_records(self, type_: str | None) -> Iterator[StoredRecord]:
        return iter([r for r in self._records.values() if type_ is None or r.type == type_])

    def _records_in_scope(self, scope: str) -> list[StoredRecord]:
        return [self._records[k] for k in sorted(self._by_scope.get(scope, ()))]

    def _sums(self) -> dict[str, ScopeChecksum]:
        return dict(self._scope_sums)

    def _add_to_sums(self, deltas: dict[str, ScopeChecksum]) -> None:
        for scope, delta in deltas.items():
            old = self._scope_sums.get(scope, ScopeChecksum())
            new = ScopeChecksum(old.count + delta.count, (old.sum + delta.sum) % MOD)
            if new.count:
                self._scope_sums[scope] = new
            else:
                self._scope_sums.pop(scope, None)

    def _delete_sum(self, scope: str) -> None:
        self._scope_sums.pop(scope, None)

    def _clear_replica(self) -> None:
        self._records.clear()
        self._by_scope.clear()
        self._scope_sums.clear()

    def _insert_mutation(self, mutation: PendingMutation) -> None:
        self._outbox[mutation.seq] = mutation

    def _mutations(self, statuses: Sequence[str] | None, limit: int | None) -> list[PendingMutation]:
        found = [self._outbox[s] for s in sorted(self._outbox)]
        if statuses is not None:
            found = [m for m in found if m.status in statuses]
        return found[:limit] if limit is not None else found

    def _get_mutation(self, seq: int) -> PendingMutation | None:
        return self._outbox.get(seq)

    def _set_status(self, seqs: Iterable[int], status: OutboxStatus) -> None:
        for seq in seqs:
            if seq in self._outbox:
                self._outbox[seq] = msgspec.structs.replace(self._outbox[seq], status=status)

    def _delete_mutations(self, seqs: Iterable[int] = (), up_to: int | None = None) -> None:
        for seq in list(seqs):
            self._outbox.pop(seq, None)
        if up_to is not None:
            for seq in [s for s in self._outbox if s <= up_to]:
                del self._outbox[seq]

    def _renumber(self, changes: list[tuple[int, int]]) -> None:
        for old, new in changes:
            self._outbox[new] = msgspec.structs.replace(self._outbox.pop(old), seq=new)

    def _hold(self, outcome: HeldOutcome) -> None:
        self._outcomes.setdefault(outcome.id, outcome)

    def _held(self) -> list[HeldOutcome]:
        return list(self._outcomes.values())

    def _dismiss(self, outcome_id: uuid.UUID) -> None:
        self._outcomes.pop(outcome_id, None)
