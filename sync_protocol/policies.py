"""Field merge policies (``SYNC_PROTOCOL.md`` §6) and the attendance merge rule.

Every field of every synced record type declares one :class:`Policy`, in one place, next to the model::

    CLIENT_POLICIES = record_policies("client", {
        "phone": Policy.LWW,
        "consent": Policy.MANUAL,
        "occupancy": Policy.SERVER,
    })

A mutation handler then asks :meth:`RecordPolicy.plan` (or :func:`decide` for one field) what happens to
each proposed change. Everything here is pure: no database, no clock.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple

import msgspec

__all__ = [
    "ATTENDANCE_NAMESPACE",
    "POLICIES",
    "Action",
    "Attendance",
    "ChangePlan",
    "FieldChange",
    "FieldDecision",
    "Policy",
    "PolicyRegistry",
    "RecordPolicy",
    "UnknownField",
    "attendance_id",
    "check_in",
    "check_out",
    "decide",
    "mark_absent",
    "merge_attendance",
    "record_policies",
    "recorded",
]

Merge = Callable[[Any, Any], Any]
"""A record-specific rule combining ``(current, proposed)`` into the stored value (``merge`` policy)."""


class Policy(StrEnum):
    """How concurrent changes to one field combine."""

    LWW = "lww"
    """The mutation applied last by the server wins; no conflict."""
    APPEND = "append"
    """Additions from every device are kept; nothing overwrites."""
    MERGE = "merge"
    """A rule specific to the record combines the values."""
    MANUAL = "manual"
    """A stale change to a changed field becomes a conflict record for a person to resolve."""
    SERVER = "server"
    """Only the server computes it; clients cannot set it."""


class Action(StrEnum):
    """What happens to one proposed field change."""

    APPLY = "apply"
    NOOP = "noop"
    CONFLICT = "conflict"
    REFUSE = "refuse"


class FieldDecision(NamedTuple):
    """``action`` and the value to store when it is ``APPLY`` (the current value otherwise)."""

    action: Action
    value: Any


class FieldChange(NamedTuple):
    """The last change of one field, as a record keeps it for the ``manual`` policy.

    ``version``: the version of that change. ``by``: the sync client (protocol §2 ``client_id``) that made
    it; None when not known (a value stored before authors were kept). ``since``: every change of the field
    after this version was made by ``by`` (0: every change there ever was).

    Stored in JSON as the bare ``version`` when ``by`` is None (the only form kept before), otherwise as
    ``{"version", "by", "since"}``: :meth:`load` reads both, :meth:`dump` writes them.
    """

    version: int
    by: str | None = None
    since: int | None = None

    @classmethod
    def load(cls, stored: FieldChange | int | Mapping[str, Any] | None) -> FieldChange | None:
        if stored is None or isinstance(stored, FieldChange):
            return stored
        if isinstance(stored, int):
            return cls(stored)
        return cls(stored["version"], stored.get("by"), stored.get("since"))

    def dump(self) -> int | dict[str, Any]:
        if self.by is None:
            return self.version
        return {"version": self.version, "by": self.by, "since": self.since}

    def then(self, version: int, by: str | None) -> FieldChange:
        """This field's last change after ``by`` changes it again at ``version``."""
        if by is not None and by == self.by:
            return FieldChange(version, by, self.since)  # the same client's run of changes goes on
        return FieldChange(version, by, self.version)

    def only_by(self, author: str | None, base_version: int | None) -> bool:
        """True when ``author`` made every change after ``base_version`` (None: after nothing): none is
        news to them."""
        if author is None or author != self.by or self.since is None:
            return False
        return (base_version or 0) >= self.since


def decide(
    policy: Policy,
    current: Any,
    last_change: FieldChange | int | None,
    proposed: Any,
    base_version: int | None,
    *,
    merge: Merge | None = None,
    author: str | None = None,
) -> FieldDecision:
    """Decide one proposed field change.

    ``last_change``: the field's last change (a bare int: its version, author unknown), None if it never
    changed. ``author``: the sync client proposing the change.

    - ``server``: always ``REFUSE``.
    - ``lww``: ``APPLY`` unless the value is unchanged (``NOOP``).
    - ``append``: ``proposed`` is a list of additions (a single value counts as one); items already present
      are skipped, so a replay is a ``NOOP``.
    - ``merge``: ``merge(current, proposed)``; ``NOOP`` when that equals ``current``.
    - ``manual``: ``NOOP`` if unchanged; ``APPLY`` if the field was never changed, ``base_version`` is at
      least the last change's version, or every change after ``base_version`` was made by ``author``
      (a client's own earlier mutations are not news to it); otherwise ``CONFLICT``. A missing
      ``base_version`` means "based on nothing": it conflicts with any earlier change of a differing value
      by another client.
    """
    if policy is Policy.SERVER:
        return FieldDecision(Action.REFUSE, current)
    if policy is Policy.APPEND:
        existing = list(current or ())
        additions = proposed if isinstance(proposed, list | tuple) else [proposed]
        added = False
        for item in additions:  # keep the order of arrival; an item already there is a replay
            if item not in existing:
                existing.append(item)
                added = True
        return FieldDecision(Action.APPLY, existing) if added else FieldDecision(Action.NOOP, current)
    if policy is Policy.MERGE:
        if merge is None:
            raise ValueError("the merge policy needs a merge function")
        merged = merge(current, proposed)
        return FieldDecision(Action.NOOP if merged == current else Action.APPLY, merged)
    if proposed == current:
        return FieldDecision(Action.NOOP, current)
    if policy is Policy.LWW:
        return FieldDecision(Action.APPLY, proposed)
    if policy is Policy.MANUAL:
        last = FieldChange.load(last_change)
        if last is None:
            return FieldDecision(Action.APPLY, proposed)
        if base_version is not None and base_version >= last.version:
            return FieldDecision(Action.APPLY, proposed)
        if last.only_by(author, base_version):
            return FieldDecision(Action.APPLY, proposed)
        return FieldDecision(Action.CONFLICT, current)
    raise ValueError(f"unknown policy {policy!r}")


def recorded(
    field_versions: Mapping[str, Any], names: Iterable[str], version: int, author: str | None
) -> dict[str, Any]:
    """``field_versions`` (as stored, see :class:`FieldChange`) after ``author`` changed ``names`` at
    ``version``: what a record with ``manual`` fields stores with each write."""
    after = dict(field_versions)
    for name in names:
        last = FieldChange.load(after.get(name))
        change = last.then(version, author) if last is not None else FieldChange(version, author, 0)
        after[name] = change.dump()
    return after


class UnknownField(KeyError):
    """A change names a field that has no declared policy."""


@dataclass(frozen=True, slots=True)
class ChangePlan:
    """What :meth:`RecordPolicy.plan` decided for a set of proposed changes.

    ``updates``: field -> value to write. ``conflicts``: field -> ``(current, proposed)`` for a conflict
    record. ``refused``: server-computed fields the mutation tried to set. ``unknown``: undeclared fields.
    ``noop``: fields already at the proposed value.
    """

    updates: dict[str, Any] = field(default_factory=dict)
    conflicts: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    noop: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """False when the mutation must be rejected (it sets a server or undeclared field)."""
        return not self.refused and not self.unknown


@dataclass(frozen=True, slots=True)
class RecordPolicy:
    """The field policies of one record type."""

    record_type: str
    fields: Mapping[str, Policy]
    merges: Mapping[str, Merge] = field(default_factory=dict)

    def policy(self, name: str) -> Policy:
        """The policy of field ``name``; :class:`UnknownField` if it has none."""
        try:
            return self.fields[name]
        except KeyError:
            raise UnknownField(f"{self.record_type}.{name} has no declared policy") from None

    def decide(
        self,
        name: str,
        current: Any,
        last_change: FieldChange | int | None,
        proposed: Any,
        base_version: int | None,
        *,
        author: str | None = None,
    ) -> FieldDecision:
        """:func:`decide` with this field's policy and merge rule."""
        return decide(
            self.policy(name),
            current,
            last_change,
            proposed,
            base_version,
            merge=self.merges.get(name),
            author=author,
        )

    def plan(
        self,
        current: Mapping[str, Any],
        changes: Mapping[str, Any],
        field_versions: Mapping[str, Any],
        base_version: int | None,
        *,
        author: str | None = None,
    ) -> ChangePlan:
        """Decide every change of an update (e.g. ``client.update``'s ``changes``) by the sync client
        ``author`` against the record's current values and each field's last change (``field_versions``,
        as stored: see :class:`FieldChange`; store the updates' with :func:`recorded`)."""
        plan = ChangePlan()
        for name, proposed in changes.items():
            if name not in self.fields:
                plan.unknown.append(name)
                continue
            last = field_versions.get(name)
            decision = self.decide(name, current.get(name), last, proposed, base_version, author=author)
            if decision.action is Action.APPLY:
                plan.updates[name] = decision.value
            elif decision.action is Action.CONFLICT:
                plan.conflicts[name] = (current.get(name), proposed)
            elif decision.action is Action.REFUSE:
                plan.refused.append(name)
            else:
                plan.noop.append(name)
        return plan


class PolicyRegistry:
    """Record type -> :class:`RecordPolicy`; registering a type twice must declare the same policies."""

    def __init__(self) -> None:
        self._by_type: dict[str, RecordPolicy] = {}

    def register(
        self, record_type: str, fields: Mapping[str, Policy], merges: Mapping[str, Merge] | None = None
    ) -> RecordPolicy:
        fields = MappingProxyType({name: Policy(p) for name, p in fields.items()})
        merges = MappingProxyType(dict(merges or {}))
        missing = [n for n, p in fields.items() if p is Policy.MERGE and n not in merges]
        if missing:
            raise ValueError(f"{record_type}: merge fields without a merge rule: {', '.join(missing)}")
        policy = RecordPolicy(record_type, fields, merges)
        known = self._by_type.get(record_type)
        if known is not None and dict(known.fields) != dict(fields):
            raise ValueError(f"policies for {record_type!r} are already registered differently")
        self._by_type[record_type] = policy
        return policy

    def get(self, record_type: str) -> RecordPolicy:
        return self._by_type[record_type]

    def __contains__(self, record_type: object) -> bool:
        return record_type in self._by_type

    def __iter__(self) -> Iterator[RecordPolicy]:
        return iter(self._by_type.values())


POLICIES = PolicyRegistry()
"""The registry the domain modules declare their policies in."""


def record_policies(
    record_type: str,
    fields: Mapping[str, Policy],
    *,
    merges: Mapping[str, Merge] | None = None,
    registry: PolicyRegistry = POLICIES,
) -> RecordPolicy:
    """Declare the field policies of ``record_type`` (call it next to the record's model)."""
    return registry.register(record_type, fields, merges)


# --- attendance: one record per (client, unit, date), merged whatever the order of events -----------------

ATTENDANCE_NAMESPACE = uuid.UUID("6f1c2a8e-4b7d-5e0a-9c3f-2d8b1e7a4c60")


def attendance_id(client_id: uuid.UUID | str, unit_id: uuid.UUID | str, day: date | str) -> uuid.UUID:
    """The id of the one attendance record of a client in a unit on a day.

    Derived, not random, so every device (and the server) names the same record without talking.
    """
    day_text = day.isoformat() if isinstance(day, date) else day
    client = client_id if isinstance(client_id, uuid.UUID) else uuid.UUID(client_id)
    unit = unit_id if isinstance(unit_id, uuid.UUID) else uuid.UUID(unit_id)
    return uuid.uuid5(ATTENDANCE_NAMESPACE, f"attendance:{client}:{unit}:{day_text}")


class Attendance(msgspec.Struct, frozen=True, kw_only=True):
    """The merged state of one attendance: ``checked_in_at``, ``checked_out_at``, ``absent_reason``."""

    checked_in_at: datetime | None = None
    checked_out_at: datetime | None = None
    absent_reason: str | None = None

    @property
    def present(self) -> bool:
        return self.checked_in_at is not None or self.checked_out_at is not None

    @classmethod
    def from_data(cls, data: Mapping[str, Any] | None) -> Attendance:
        """Read the three fields from a record's ``data`` (ISO strings or datetimes)."""
        if not data:
            return cls()
        keys = ("checked_in_at", "checked_out_at", "absent_reason")
        return msgspec.convert({k: data.get(k) for k in keys}, cls)

    def to_data(self) -> dict[str, Any]:
        """The three fields as JSON-ready values (times as RFC 3339 strings)."""
        return {
            "checked_in_at": msgspec.to_builtins(self.checked_in_at),
            "checked_out_at": msgspec.to_builtins(self.checked_out_at),
            "absent_reason": self.absent_reason,
        }


def _instant(value: datetime) -> tuple[datetime, Any]:
    # Equal instants written with different offsets must still merge to one representation.
    return (value, value.utcoffset())


def _pick(values: list[Any], chooser: Callable[..., Any], key: Callable[[Any], Any] | None = None) -> Any:
    present = [v for v in values if v is not None]
    if not present:
        return None
    return chooser(present, key=key) if key else chooser(present)


def merge_attendance(*states: Attendance | None) -> Attendance:
    """Merge attendance states: earliest check-in, latest check-out, presence beats absence.

    The merge is commutative, associative and idempotent, so any devices applying the same events in any
    order end with the same record. A check-in (or check-out) clears an absence; an absence never
    overwrites a presence. Between two different absence reasons the smallest code wins, deterministically:
    correcting a reason is a separate, last-writer-wins mutation, not a merge.
    """
    known = [s for s in states if s is not None]
    checked_in_at = _pick([s.checked_in_at for s in known], min, _instant)
    checked_out_at = _pick([s.checked_out_at for s in known], max, _instant)
    present = checked_in_at is not None or checked_out_at is not None
    reason = None if present else _pick([s.absent_reason for s in known], min)
    return Attendance(checked_in_at=checked_in_at, checked_out_at=checked_out_at, absent_reason=reason)


def check_in(state: Attendance | None, at: datetime) -> Attendance:
    """Apply ``attendance.check_in``."""
    return merge_attendance(state, Attendance(checked_in_at=at))


def check_out(state: Attendance | None, at: datetime) -> Attendance:
    """Apply ``attendance.check_out``."""
    return merge_attendance(state, Attendance(checked_out_at=at))


def mark_absent(state: Attendance | None, reason: str) -> Attendance:
    """Apply ``attendance.mark_absent``."""
    return merge_attendance(state, Attendance(absent_reason=reason))
