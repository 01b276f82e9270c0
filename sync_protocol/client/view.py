"""The optimistic view: server state with the client's outbox re-applied on top.

Two layers. The **store** holds server state only, exactly as pulls delivered it. The **overlay** holds the
effects of the outbox, computed by running each mutation's *local mutator* (a pure function of the view
and the args, registered per mutation name) in ``seq`` order. Reading the view reads the overlay first and
falls through to the store.

Rebase is therefore "throw the overlay away and replay the outbox": after every pull page (new server
state; acknowledged mutations gone from the outbox) and after a push that rejected something (its effects
must vanish). A new mutation is applied on top of the current overlay without a replay. Mutators must be
deterministic, since they run again at every rebase, and must only read through the :class:`LocalTx`.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import msgspec

from sync_protocol.client.store import PendingMutation, Store

__all__ = ["LocalTx", "Mutator", "OptimisticView", "ViewRecord"]

log = logging.getLogger(__name__)

Key = tuple[str, str]
_DELETED: Any = object()


class ViewRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A record as the user sees it. ``pending`` when an outbox mutation touched it; ``version`` and
    ``scopes`` are the server's (``None`` / empty for a record that exists only locally)."""

    type: str
    id: str
    data: dict[str, Any]
    version: int | None
    scopes: tuple[str, ...]
    pending: bool


class LocalTx:
    """What a mutator sees: reads of the current view, and writes that land only if it returns."""

    def __init__(self, view: OptimisticView, args: dict[str, Any]) -> None:
        self._view = view
        self._writes: dict[Key, Any] = {}
        self.args = args

    def get(self, type_: str, id_: str) -> dict[str, Any] | None:
        """A copy of the record's data, or ``None``."""
        key = (type_, str(id_))
        data = self._writes[key] if key in self._writes else self._view._data(key)
        return None if data is None or data is _DELETED else copy.deepcopy(data)

    def put(self, type_: str, id_: str, data: Mapping[str, Any]) -> None:
        self._writes[(type_, str(id_))] = copy.deepcopy(dict(data))

    def delete(self, type_: str, id_: str) -> None:
        self._writes[(type_, str(id_))] = _DELETED

    def scan(self, type_: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(id, data)`` of every record of ``type_`` in the view (this transaction's writes included)."""
        ids = {r.id for r in self._view._store.records(type_)}
        ids |= {i for (t, i) in self._view._overlay if t == type_}
        ids |= {i for (t, i) in self._writes if t == type_}
        for id_ in sorted(ids):
            data = self.get(type_, id_)
            if data is not None:
                yield id_, data


Mutator = Callable[[LocalTx, dict[str, Any]], None]
"""Applies one mutation's effects locally: ``mutator(tx, args)``."""


class OptimisticView:
    """The local view = the store's server state + the outbox's mutations replayed by their mutators.

    Mutations without a mutator have no local effect (they still go to the server). A mutator that raises
    during a rebase is skipped and reported in :attr:`errors` (seq -> message); the server decides.
    """

    def __init__(self, store: Store, mutators: Mapping[str, Mutator] | None = None) -> None:
        self._store = store
        self.mutators: dict[str, Mutator] = dict(mutators or {})
        self._overlay: dict[Key, Any] = {}
        self.errors: dict[int, str] = {}

    def _data(self, key: Key) -> Any:
        if key in self._overlay:
            return self._overlay[key]
        record = self._store.get(*key)
        return record.data if record else None

    def stage(self, name: str, args: dict[str, Any]) -> dict[Key, Any]:
        """Run the mutator of ``name`` against the current view; returns its writes, or raises."""
        mutator = self.mutators.get(name)
        if mutator is None:
            return {}
        tx = LocalTx(self, args)
        mutator(tx, copy.deepcopy(args))
        return tx._writes

    def commit(self, writes: dict[Key, Any]) -> None:
        """Lay staged writes onto the overlay."""
        self._overlay.update(writes)

    def apply(self, mutation: PendingMutation) -> bool:
        """Apply one outbox entry on top of the view; False (and an entry in :attr:`errors`) if it failed."""
        try:
            self.commit(self.stage(mutation.name, mutation.args))
        except Exception as exc:  # a mutator bug must not stop the rebase of the others
            log.warning("local mutator %s (seq %s) failed: %r", mutation.name, mutation.seq, exc)
            self.errors[mutation.seq] = f"{type(exc).__name__}: {exc}"
            return False
        return True

    def rebuild(self) -> None:
        """Rebase: drop the overlay and replay the whole outbox on the current server state."""
        self._overlay = {}
        self.errors = {}
        for mutation in self._store.outbox():
            self.apply(mutation)

    def get(self, type_: str, id_: str) -> ViewRecord | None:
        key = (type_, str(id_))
        record = self._store.get(*key)
        data = self._overlay.get(key, record.data if record else None)
        if data is None or data is _DELETED:
            return None
        return ViewRecord(
            type=type_,
            id=key[1],
            data=data,
            version=record.version if record else None,
            scopes=record.scopes if record else (),
            pending=key in self._overlay,
        )

    def records(self, type_: str) -> list[ViewRecord]:
        """Every record of ``type_`` in the view, ordered by id."""
        found: dict[str, ViewRecord] = {}
        for record in self._store.records(type_):
            data = self._overlay.get((type_, record.id), record.data)
            if data is not _DELETED:
                found[record.id] = ViewRecord(
                    type=type_,
                    id=record.id,
                    data=data,
                    version=record.version,
                    scopes=record.scopes,
                    pending=(type_, record.id) in self._overlay,
                )
        for (t, id_), data in self._overlay.items():
            if t == type_ and id_ not in found and data is not _DELETED:
                found[id_] = ViewRecord(type=t, id=id_, data=data, version=None, scopes=(), pending=True)
        return [found[id_] for id_ in sorted(found)]

    @property
    def pending_keys(self) -> set[Key]:
        """``(type, id)`` of every record an outbox mutation touched."""
        return set(self._overlay)
