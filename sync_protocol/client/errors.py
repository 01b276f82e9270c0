"""Exceptions raised by the reference client. The outbox is kept for every one of them except
:class:`DeviceRevoked`, which has already erased the store when it is raised."""

from __future__ import annotations

from typing import Any

__all__ = [
    "AuthenticationRequired",
    "ClientStopped",
    "DeviceRevoked",
    "PayloadTooLarge",
    "ProtocolViolation",
    "RequestRejected",
    "SeqReused",
    "ServerUnavailable",
    "SyncError",
    "UpgradeRequired",
]


class SyncError(Exception):
    """Base class: ``status`` and ``code`` of the HTTP error, when there was one."""

    def __init__(
        self, message: str, *, status: int | None = None, code: str | None = None, details: Any = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.details = details or {}


class AuthenticationRequired(SyncError):
    """401 and the token could not be refreshed: sign in again. The outbox is kept."""


class DeviceRevoked(SyncError):
    """403 ``device_revoked``: the local store (outbox included) has been erased."""


class ClientStopped(SyncError):
    """403 ``client_mismatch`` or ``forbidden``: stop and show the reason."""


class SeqReused(SyncError):
    """409 ``seq_reused``: a client bug. Pushing is stopped for this client; it is reported via health."""


class PayloadTooLarge(SyncError):
    """413 for a batch of one mutation: it cannot be split further."""


class UpgradeRequired(SyncError):
    """426: update the app (``min_protocol``, ``min_app_build`` in ``details``). The outbox is kept."""


class ServerUnavailable(SyncError):
    """5xx, 429 or transport errors persisted through every retry. The outbox is kept."""


class RequestRejected(SyncError):
    """Any other 4xx: a malformed request (a client bug); retrying cannot help."""


class ProtocolViolation(SyncError):
    """The server answered something the protocol does not allow."""
