"""Wire messages of the Kaari sync protocol, version 1 (``SYNC_PROTOCOL.md`` §3, §4, §5, §7).

Every body is a :class:`msgspec.Struct`. Request types forbid unknown fields (a typo is an error, not a
silently ignored field); response types accept unknown fields so an older client keeps working when the
server adds one. All structs are keyword-only so the field order follows the protocol document.

Mutation ``args`` travel as a plain ``dict``: the server converts them to the mutation's own args Struct
with :meth:`sync_protocol.catalog.Catalog.lookup`, so one malformed mutation is *rejected* (and the queue
moves on) instead of failing the whole batch with a 400.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal, TypeAlias

import msgspec

__all__ = [
    "CATALOG_PATH",
    "EVENTS_PATH",
    "MAX_PUSH_BYTES",
    "MAX_PUSH_MUTATIONS",
    "PAGE_TARGET_BYTES",
    "PULL_PATH",
    "PUSH_PATH",
    "DelOp",
    "ErrorBody",
    "Health",
    "MutationEnvelope",
    "MutationResult",
    "MutationStatus",
    "Op",
    "Outcome",
    "Poke",
    "PullRequest",
    "PullResponse",
    "PurgeOp",
    "PushError",
    "PushRequest",
    "PushResponse",
    "PutOp",
    "ScopeSummary",
]

# --- endpoints and limits -------------------------------------------------------------------------------

PUSH_PATH = "/api/sync/v1/push"
PULL_PATH = "/api/sync/v1/pull"
EVENTS_PATH = "/api/sync/v1/events"
CATALOG_PATH = "/api/sync/v1/catalog"

MAX_PUSH_MUTATIONS = 500
"""At most this many mutations per push; the server answers ``413 too_large`` beyond."""

MAX_PUSH_BYTES = 1024 * 1024
"""At most this many bytes of encoded push body (1 MiB); the server answers ``413 too_large`` beyond."""

PAGE_TARGET_BYTES = 512 * 1024
"""A pull page SHOULD stay under about this size."""

BIGINT = 2**63 - 1
"""Integers the server stores fit a signed 64-bit column on both engines."""
Seq = Annotated[int, msgspec.Meta(ge=1, le=BIGINT)]
Version = Annotated[int, msgspec.Meta(ge=1, le=BIGINT)]
MutationVersion = Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]
NonNegative = Annotated[int, msgspec.Meta(ge=0, le=BIGINT)]
AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]
"""Times on the wire carry their offset; a naive time in a request is an error."""

MutationStatus: TypeAlias = Literal["applied", "rejected", "conflict"]

_NO_NUL = r"^[^\x00]*$"
"""Text a request carries outside mutation args holds no NUL (PostgreSQL cannot store it): the request is
refused before the database on both engines. Inside args, a NUL rejects that mutation alone (catalog)."""
Build = Annotated[str, msgspec.Meta(max_length=64, pattern=_NO_NUL)]
MutationName = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=_NO_NUL)]
"""Longer than any name in the catalog, so an unknown long name is rejected (`unknown_mutation`) and the
queue moves on; the stored outcome keeps its first 64 characters."""
ScopeName = Annotated[str, msgspec.Meta(max_length=100, pattern=_NO_NUL)]


# --- push (§3) ------------------------------------------------------------------------------------------


class MutationEnvelope(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """One intent: a named, versioned mutation with its arguments.

    ``seq`` counts 1, 2, 3… per client with no gaps; ``id`` is unique forever. ``base_version`` is the
    version of the record the author was looking at (used by ``manual`` fields, §6).
    """

    id: uuid.UUID
    seq: Seq
    name: MutationName
    version: MutationVersion
    args: dict[str, Any] = msgspec.field(default_factory=dict)
    client_time: AwareDatetime | None = None
    base_version: NonNegative | None = None


class PushRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """Body of ``POST /api/sync/v1/push``: a batch of mutations in ascending ``seq``."""

    protocol: int
    client_id: uuid.UUID
    app_build: Build | None = None
    schema_version: int = 1
    mutations: list[MutationEnvelope]


class MutationResult(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The outcome of one mutation, in a push response (``results``) or a pull (``outcomes``).

    ``applied`` may carry ``result``; ``rejected`` carries ``code``, ``message`` and maybe ``details``;
    ``conflict`` carries ``conflict_id`` (the first conflict record; when one mutation contests several
    fields, ``details["conflict_ids"]`` lists all of them). Absent fields are omitted on the wire.
    """

    id: uuid.UUID
    seq: Seq
    status: MutationStatus
    result: dict[str, Any] | None = None
    code: str | None = None
    message: str | None = None
    details: dict[str, Any] | None = None
    conflict_id: uuid.UUID | None = None


Outcome: TypeAlias = MutationResult
"""An entry of a pull's ``outcomes``: a :class:`MutationResult` whose status is not ``applied``."""


class PushError(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A batch-level error reported after the results that were processed (``seq_gap``)."""

    code: str
    expected_seq: int | None = None


class PushResponse(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Answer (HTTP 200) to a push: the client's ``last_seq`` after the batch and one result per
    mutation processed (replays included)."""

    last_seq: NonNegative
    server_time: datetime
    results: list[MutationResult]
    error: PushError | None = None


# --- pull (§4) ------------------------------------------------------------------------------------------


class Health(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """The device's view of its own sync health, sent with every pull."""

    outbox_depth: NonNegative | None = None
    oldest_pending_at: AwareDatetime | None = None
    app_build: Build | None = None
    last_error: Annotated[str, msgspec.Meta(max_length=500, pattern=_NO_NUL)] | None = None
    storage_used: NonNegative | None = None
    storage_quota: NonNegative | None = None


class PullRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """Body of ``POST /api/sync/v1/pull``. ``cookie: null`` asks for a first (snapshot) sync."""

    protocol: int
    client_id: uuid.UUID
    cookie: Annotated[str, msgspec.Meta(max_length=4096, pattern=r"^[A-Za-z0-9_-]*$")] | None = None
    schema_version: int = 1
    resync_scopes: Annotated[list[ScopeName], msgspec.Meta(max_length=256)] = msgspec.field(
        default_factory=list
    )
    health: Health | None = None


class PutOp(msgspec.Struct, kw_only=True, tag_field="op", tag="put"):
    """Replace the local copy of a record. ``scopes`` lists the client's scopes the record is in."""

    type: str
    id: str
    version: Version
    scopes: list[str]
    data: dict[str, Any]


class DelOp(msgspec.Struct, kw_only=True, tag_field="op", tag="del"):
    """Delete a record (it was deleted, or it left every scope of this client)."""

    type: str
    id: str
    version: Version


class PurgeOp(msgspec.Struct, kw_only=True, tag_field="op", tag="purge"):
    """Drop ``scope`` from every local record and delete records left in no scope."""

    scope: str


Op: TypeAlias = PutOp | DelOp | PurgeOp


class ScopeSummary(msgspec.Struct, kw_only=True):
    """Per-scope ``count`` and ``checksum`` (see :mod:`sync_protocol.checksum`) at the returned cookie."""

    checksum: str
    count: NonNegative


class PullResponse(msgspec.Struct, kw_only=True):
    """Answer to a pull: one page of ops after the request's cookie.

    ``has_more`` means "pull again now with this cookie". ``scopes`` is sent on the last page
    (``has_more`` false) and then describes *every* scope of the client at ``cookie``: a local scope
    missing from it is a mismatch. On other pages it is empty, and clients verify nothing.
    """

    cookie: str
    last_seq: NonNegative
    has_more: bool = False
    reset: bool = False
    server_time: datetime
    ops: list[Op] = msgspec.field(default_factory=list)
    outcomes: list[Outcome] = msgspec.field(default_factory=list)
    scopes: dict[str, ScopeSummary] = msgspec.field(default_factory=dict)


# --- pokes (§5) and errors (§7) -------------------------------------------------------------------------


class Poke(msgspec.Struct, kw_only=True):
    """``data`` of an SSE ``event: poke``: a change landed in one of the client's scopes; pull."""

    version: int


class ErrorBody(msgspec.Struct, kw_only=True):
    """Every error response: ``{"code", "message", "details"}`` (codes in :mod:`sync_protocol.errors`).

    ``device_revoked`` puts ``{"wipe": true}`` in ``details``; ``upgrade_required`` puts ``min_protocol``
    and ``min_app_build`` there.
    """

    code: str
    message: str = ""
    details: dict[str, Any] = msgspec.field(default_factory=dict)
