"""The Kaari sync protocol, version 1: wire messages, checksums, merge policies, the mutation catalog and
the codecs. Nothing in this package (outside :mod:`sync_protocol.client`) does I/O.

The normative description is ``docs/sync-protocol.md``; in one sentence: devices push named, versioned
mutations with gapless per-client ``seq``; the server re-executes them in commit order and records a change
log; devices pull the changes in their scopes after an opaque cookie and rebase their pending mutations.
"""

from sync_protocol.catalog import Catalog, InvalidArgs, MutationSpec, UnknownMutation, Upcaster
from sync_protocol.checksum import ScopeChecksum, compute_checksum, format_checksum, record_hash
from sync_protocol.codec import JSON, MSGPACK, decode, encode, media_type, negotiate
from sync_protocol.errors import ClientAction, action_for
from sync_protocol.messages import (
    CATALOG_PATH,
    EVENTS_PATH,
    MAX_PUSH_BYTES,
    MAX_PUSH_MUTATIONS,
    PULL_PATH,
    PUSH_PATH,
    DelOp,
    ErrorBody,
    Health,
    MutationEnvelope,
    MutationResult,
    Op,
    Outcome,
    Poke,
    PullRequest,
    PullResponse,
    PurgeOp,
    PushError,
    PushRequest,
    PushResponse,
    PutOp,
    ScopeSummary,
)
from sync_protocol.policies import (
    Action,
    Attendance,
    Policy,
    RecordPolicy,
    decide,
    merge_attendance,
    record_policies,
)

PROTOCOL_VERSION = 1
"""The ``protocol`` field of every push and pull of this version."""

__all__ = [
    "CATALOG_PATH",
    "EVENTS_PATH",
    "JSON",
    "MAX_PUSH_BYTES",
    "MAX_PUSH_MUTATIONS",
    "MSGPACK",
    "PROTOCOL_VERSION",
    "PULL_PATH",
    "PUSH_PATH",
    "Action",
    "Attendance",
    "Catalog",
    "ClientAction",
    "DelOp",
    "ErrorBody",
    "Health",
    "InvalidArgs",
    "MutationEnvelope",
    "MutationResult",
    "MutationSpec",
    "Op",
    "Outcome",
    "Poke",
    "Policy",
    "PullRequest",
    "PullResponse",
    "PurgeOp",
    "PushError",
    "PushRequest",
    "PushResponse",
    "PutOp",
    "RecordPolicy",
    "ScopeChecksum",
    "ScopeSummary",
    "UnknownMutation",
    "Upcaster",
    "action_for",
    "compute_checksum",
    "decide",
    "decode",
    "encode",
    "format_checksum",
    "media_type",
    "merge_attendance",
    "negotiate",
    "record_hash",
    "record_policies",
]
