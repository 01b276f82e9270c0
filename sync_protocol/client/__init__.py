"""The reference sync client (does I/O; the rest of :mod:`sync_protocol` does not).

Used by the tests, the load generator and the CLI simulator; behaves as the PWA does. See
:mod:`sync_protocol.client.client` for how sync works.
"""

from sync_protocol.client.auth import Credentials, TokenResponse, login, refresh_session
from sync_protocol.client.client import PullReport, PushReport, Replica, SyncReport
from sync_protocol.client.errors import (
    AuthenticationRequired,
    ClientStopped,
    DeviceRevoked,
    PayloadTooLarge,
    ProtocolViolation,
    RequestRejected,
    SeqReused,
    ServerUnavailable,
    SyncError,
    UpgradeRequired,
)
from sync_protocol.client.memory_store import MemoryStore
from sync_protocol.client.sqlite_store import SQLiteStore
from sync_protocol.client.store import (
    HeldOutcome,
    PendingMutation,
    Store,
    StoredRecord,
    SyncState,
)
from sync_protocol.client.transport import RetryPolicy, Transport
from sync_protocol.client.view import LocalTx, Mutator, OptimisticView, ViewRecord

__all__ = [
    "AuthenticationRequired",
    "ClientStopped",
    "Credentials",
    "DeviceRevoked",
    "HeldOutcome",
    "LocalTx",
    "MemoryStore",
    "Mutator",
    "OptimisticView",
    "PayloadTooLarge",
    "PendingMutation",
    "ProtocolViolation",
    "PullReport",
    "PushReport",
    "Replica",
    "RequestRejected",
    "RetryPolicy",
    "SQLiteStore",
    "SeqReused",
    "ServerUnavailable",
    "Store",
    "StoredRecord",
    "SyncError",
    "SyncReport",
    "SyncState",
    "TokenResponse",
    "Transport",
    "UpgradeRequired",
    "ViewRecord",
    "login",
    "refresh_session",
]
