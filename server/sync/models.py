"""Tables of the sync engine.

- `sync_clients` (`Replica`): one row per replica (device, user), with `last_seq` and the health the device reports.
- `sync_mutations`: the outcome of every mutation received, keyed by (client, seq): replays answer from here.
- `sync_head`: one row holding the last change version. Writers lock it to allocate versions, so versions
  commit in order and a pull can never skip a change (protocol §4), on PostgreSQL too.
- `changes` + `change_scopes`: the change log in commit order, indexed by scope for incremental pulls.
- `sync_records` + `record_scopes`: the current state of every synced record as the devices see it, for
  snapshots; `scope_state` keeps each scope's count and checksum, updated O(1) per change.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, utcnow

Version = BigInteger().with_variant(Integer, "sqlite")


class Replica(Base):
    """A replica (protocol §2, its `client_id` on the wire): one (device, user) local store and outbox."""

    __tablename__ = "sync_clients"  # the table keeps its first name; in code a care client is the only client

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_push_at: Mapped[datetime | None]
    last_pull_at: Mapped[datetime | None]
    app_build: Mapped[str | None] = mapped_column(String(64))
    health: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    clock_skew_ms: Mapped[int | None] = mapped_column(BigInteger)
    applied_count: Mapped[int] = mapped_column(BigInteger, default=0)
    rejected_count: Mapped[int] = mapped_column(BigInteger, default=0)
    conflict_count: Mapped[int] = mapped_column(BigInteger, default=0)
    checksum_mismatches: Mapped[int] = mapped_column(BigInteger, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    # The highest seq the user had queued when they signed out: all a device credential may still flush.
    signed_out_seq: Mapped[int | None] = mapped_column(BigInteger)


class SyncMutation(Base):
    __tablename__ = "sync_mutations"

    replica_id: Mapped[uuid.UUID] = mapped_column(
        "client_id", ForeignKey("sync_clients.id"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # Unique forever; NULL for a mutation refused as `duplicate_id` (its id belongs to another one).
    id: Mapped[uuid.UUID | None] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    code: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str | None] = mapped_column(String(500))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    conflict_id: Mapped[uuid.UUID | None]
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    client_time: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class SyncHead(Base):
    __tablename__ = "sync_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
    # Versions at or below this were compacted away: an older cookie gets `reset`.
    compacted_before: Mapped[int] = mapped_column(BigInteger, default=0)


class Change(Base):
    __tablename__ = "changes"

    version: Mapped[int] = mapped_column(Version, primary_key=True, autoincrement=False)
    # The last version written by the same transaction: pages end on a transaction boundary.
    tx_last: Mapped[int] = mapped_column(BigInteger)
    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(String(64))
    op: Mapped[str] = mapped_column(String(8))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    old_scopes: Mapped[list[str]] = mapped_column(JSON)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ChangeScope(Base):
    """One row per scope a change touches (its scopes before and after): the incremental pull's index."""

    __tablename__ = "change_scopes"
    __table_args__ = (Index("ix_change_scopes_scope_version", "scope", "version"),)

    scope: Mapped[str] = mapped_column(String(80), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, primary_key=True)


class SyncRecord(Base):
    __tablename__ = "sync_records"

    record_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class RecordScope(Base):
    __tablename__ = "record_scopes"

    scope: Mapped[str] = mapped_column(String(80), primary_key=True)
    record_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(64), primary_key=True)


class ScopeState(Base):
    __tablename__ = "scope_state"

    scope: Mapped[str] = mapped_column(String(80), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    # Σ record hashes mod 2^64, stored as a signed 64-bit integer (both engines have that type).
    checksum: Mapped[int] = mapped_column(BigInteger, default=0)
