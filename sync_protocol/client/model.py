"""Values the client's local store keeps: records, outbox entries, held outcomes, the sync state."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

import msgspec

from sync_protocol.messages import MutationEnvelope

__all__ = ["UNACKNOWLEDGED", "HeldOutcome", "OutboxStatus", "PendingMutation", "StoredRecord", "SyncState"]

OutboxStatus = Literal["pending", "sent", "applied"]
"""``pending``: never sent. ``sent``: sent, outcome unknown. ``applied``: the server applied it (or applied
its uncontested part); kept, and still re-applied locally, until a pull includes its effects."""

UNACKNOWLEDGED: tuple[OutboxStatus, ...] = ("pending", "sent")


class StoredRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One record as the server last sent it."""

    type: str
    id: str
    version: int
    scopes: tuple[str, ...]
    data: dict[str, Any]


class PendingMutation(msgspec.Struct, frozen=True, kw_only=True):
    """One outbox entry."""

    seq: int
    id: uuid.UUID
    name: str
    version: int
    args: dict[str, Any]
    client_time: datetime | None = None
    base_version: int | None = None
    status: OutboxStatus = "pending"

    def envelope(self) -> MutationEnvelope:
        return MutationEnvelope(
            id=self.id,
            seq=self.seq,
            name=self.name,
            version=self.version,
            args=self.args,
            client_time=self.client_time,
            base_version=self.base_version,
        )


class HeldOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """A rejection or conflict kept for the user until dismissed, with the mutation it answers."""

    id: uuid.UUID
    seq: int
    status: Literal["rejected", "conflict"]
    code: str | None = None
    message: str | None = None
    details: dict[str, Any] | None = None
    conflict_id: uuid.UUID | None = None
    name: str | None = None
    args: dict[str, Any] | None = None


class SyncState(msgspec.Struct, frozen=True, kw_only=True):
    """The sync cursor and flags. ``complete`` is false while a paged pull is unfinished."""

    client_id: uuid.UUID
    cookie: str | None = None
    last_seq: int = 0
    next_seq: int = 1
    complete: bool = False
    resync_scopes: list[str] = msgspec.field(default_factory=list)
    push_stopped: str | None = None
    last_error: str | None = None
