"""Per-scope checksums (``SYNC_PROTOCOL.md`` §4).

A scope's checksum is the sum, modulo 2**64, of one 64-bit hash per record in the scope; the hash of a
record is the first 8 bytes (big-endian) of SHA-256 of ``"{type}:{id}:{version}"``. A sum is
order-independent and can be kept up to date in O(1) per change: add the new version's hash, subtract the
old one's. It is written on the wire as 16 lowercase hex digits.

SQL engines store signed 64-bit integers: use :func:`to_signed64` / :func:`from_signed64` to keep a sum in
a ``BIGINT`` column.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from typing import NamedTuple

from sync_protocol.messages import ScopeSummary

__all__ = [
    "MOD",
    "ScopeChecksum",
    "compute_checksum",
    "format_checksum",
    "from_signed64",
    "parse_checksum",
    "record_hash",
    "to_signed64",
]

MOD = 1 << 64
_SIGN = 1 << 63

RecordKey = tuple[str, "str | uuid.UUID", int]
"""``(type, id, version)`` of one record."""


def record_hash(type_: str, id_: str | uuid.UUID, version: int) -> int:
    """The 64-bit hash of one record version (unsigned)."""
    digest = hashlib.sha256(f"{type_}:{id_}:{version}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def format_checksum(value: int) -> str:
    """``value`` modulo 2**64 as 16 lowercase hex digits."""
    return f"{value % MOD:016x}"


def parse_checksum(text: str) -> int:
    """Inverse of :func:`format_checksum`."""
    if len(text) != 16:
        raise ValueError(f"a checksum has 16 hex digits, got {text!r}")
    return int(text, 16)


def to_signed64(value: int) -> int:
    """Map an unsigned 64-bit sum onto a signed 64-bit integer (for SQL storage)."""
    value %= MOD
    return value - MOD if value >= _SIGN else value


def from_signed64(value: int) -> int:
    """Inverse of :func:`to_signed64`."""
    return value % MOD


class ScopeChecksum(NamedTuple):
    """Immutable ``(count, sum)`` of one scope. ``add``/``remove``/``replace`` return a new value.

    >>> s = ScopeChecksum().add("client", "c1", 3)
    >>> s.remove("client", "c1", 3) == ScopeChecksum()
    True
    """

    count: int = 0
    sum: int = 0

    def add(self, type_: str, id_: str | uuid.UUID, version: int) -> ScopeChecksum:
        """Account for a record (version) entering the scope."""
        return ScopeChecksum(self.count + 1, (self.sum + record_hash(type_, id_, version)) % MOD)

    def remove(self, type_: str, id_: str | uuid.UUID, version: int) -> ScopeChecksum:
        """Account for a record (version) leaving the scope."""
        return ScopeChecksum(self.count - 1, (self.sum - record_hash(type_, id_, version)) % MOD)

    def replace(self, type_: str, id_: str | uuid.UUID, old_version: int, new_version: int) -> ScopeChecksum:
        """A record in the scope changed version: remove the old hash, add the new one."""
        delta = record_hash(type_, id_, new_version) - record_hash(type_, id_, old_version)
        return ScopeChecksum(self.count, (self.sum + delta) % MOD)

    @property
    def hex(self) -> str:
        """The wire form of the sum."""
        return format_checksum(self.sum)

    @property
    def signed_sum(self) -> int:
        """The sum as a signed 64-bit integer, for SQL storage."""
        return to_signed64(self.sum)

    def summary(self) -> ScopeSummary:
        """The ``scopes`` entry of a pull response."""
        return ScopeSummary(checksum=self.hex, count=self.count)

    @classmethod
    def from_signed(cls, count: int, signed_sum: int) -> ScopeChecksum:
        """Rebuild from a stored ``(count, signed sum)``."""
        return cls(count, from_signed64(signed_sum))

    @classmethod
    def from_records(cls, records: Iterable[RecordKey]) -> ScopeChecksum:
        """Compute from scratch over ``(type, id, version)`` records."""
        count = total = 0
        for type_, id_, version in records:
            count += 1
            total += record_hash(type_, id_, version)
        return cls(count, total % MOD)


def compute_checksum(records: Iterable[RecordKey]) -> ScopeChecksum:
    """Compute a scope's checksum from scratch over ``(type, id, version)`` records."""
    return ScopeChecksum.from_records(records)
