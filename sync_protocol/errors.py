"""Error and rejection codes (``SYNC_PROTOCOL.md`` §3, §7) and what a client does about each.

Two families:

- **HTTP errors** (:data:`HTTP_STATUS`): the request as a whole failed; the body is an
  :class:`~sync_protocol.messages.ErrorBody` and :data:`CLIENT_ACTION` says what the client must do.
- **Rejection codes** (:data:`REJECTION_CODES`): one mutation was processed and rejected; it appears in a
  :class:`~sync_protocol.messages.MutationResult` with status ``rejected``, ``last_seq`` advances, and the
  client keeps the rejection for the user to see.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "BAD_REQUEST",
    "CAPACITY_EXHAUSTED",
    "CLIENT_ACTION",
    "CLIENT_MISMATCH",
    "CONFLICT",
    "DEVICE_REVOKED",
    "FORBIDDEN",
    "HTTP_STATUS",
    "INVALID_ARGS",
    "INVALID_CODE",
    "INVALID_REQUEST",
    "NOT_FOUND",
    "RATE_LIMITED",
    "REJECTION_CODES",
    "SEQ_GAP",
    "SEQ_REUSED",
    "SERVER_ERROR",
    "SIGN_IN_REQUIRED",
    "TOKEN_EXPIRED",
    "TOO_LARGE",
    "UNAUTHENTICATED",
    "UNKNOWN_MUTATION",
    "UNSUPPORTED_MEDIA_TYPE",
    "UPGRADE_REQUIRED",
    "ClientAction",
    "action_for",
]


class ClientAction(StrEnum):
    """What a client does after an error."""

    RETRY = "retry"
    """Transient: retry the same request with exponential backoff and full jitter."""
    REFRESH = "refresh"
    """Refresh the access token (or sign in again) and retry; keep the outbox."""
    WIPE = "wipe"
    """Erase every local store on the device, outboxes included."""
    STOP = "stop"
    """Stop and show the reason (``seq_reused``: also report it through ``health``)."""
    SPLIT = "split"
    """Split the batch in halves and push each."""
    WAIT = "wait"
    """Wait for ``Retry-After`` seconds, then retry."""
    UPGRADE = "upgrade"
    """Update the app; keep the outbox and send it after."""
    RESEND = "resend"
    """Push again from ``expected_seq`` (a ``seq_gap`` in a push response)."""
    FIX = "fix"
    """A malformed request: a client bug. Report it; retrying the same request cannot help."""


# --- HTTP errors (§7) -----------------------------------------------------------------------------------
TOKEN_EXPIRED = "token_expired"  # noqa: S105 (an error code, not a secret)
UNAUTHENTICATED = "unauthenticated"
DEVICE_REVOKED = "device_revoked"
CLIENT_MISMATCH = "client_mismatch"
FORBIDDEN = "forbidden"
SEQ_REUSED = "seq_reused"
TOO_LARGE = "too_large"
UPGRADE_REQUIRED = "upgrade_required"
RATE_LIMITED = "rate_limited"
BAD_REQUEST = "bad_request"
INVALID_REQUEST = "invalid_request"
UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
SERVER_ERROR = "server_error"

# --- batch-level error inside a 200 push response (§3) --------------------------------------------------
SEQ_GAP = "seq_gap"
# A device credential reached the last mutation its signed-out user had queued (§2): the rest wait for them.
SIGN_IN_REQUIRED = "sign_in_required"

# --- rejection codes of one mutation (§3, §6, §8) -------------------------------------------------------
UNKNOWN_MUTATION = "unknown_mutation"
INVALID_ARGS = "invalid_args"
INVALID_CODE = "invalid_code"
CAPACITY_EXHAUSTED = "capacity_exhausted"
NOT_FOUND = "not_found"
CONFLICT = "conflict"

REJECTION_CODES = frozenset(
    {UNKNOWN_MUTATION, INVALID_ARGS, INVALID_CODE, CAPACITY_EXHAUSTED, NOT_FOUND, FORBIDDEN}
)
"""Codes a rejected mutation carries (``forbidden`` too: a mutation outside the user's roles or scopes)."""

HTTP_STATUS: dict[str, int] = {
    BAD_REQUEST: 400,
    INVALID_REQUEST: 400,
    TOKEN_EXPIRED: 401,
    UNAUTHENTICATED: 401,
    DEVICE_REVOKED: 403,
    CLIENT_MISMATCH: 403,
    FORBIDDEN: 403,
    SEQ_REUSED: 409,
    TOO_LARGE: 413,
    UNSUPPORTED_MEDIA_TYPE: 415,
    UPGRADE_REQUIRED: 426,
    RATE_LIMITED: 429,
    SERVER_ERROR: 500,
}
"""The HTTP status of each request-level error code."""

CLIENT_ACTION: dict[str, ClientAction] = {
    TOKEN_EXPIRED: ClientAction.REFRESH,
    UNAUTHENTICATED: ClientAction.REFRESH,
    DEVICE_REVOKED: ClientAction.WIPE,
    CLIENT_MISMATCH: ClientAction.STOP,
    FORBIDDEN: ClientAction.STOP,
    SEQ_REUSED: ClientAction.STOP,
    TOO_LARGE: ClientAction.SPLIT,
    UPGRADE_REQUIRED: ClientAction.UPGRADE,
    RATE_LIMITED: ClientAction.WAIT,
    SERVER_ERROR: ClientAction.RETRY,
    SEQ_GAP: ClientAction.RESEND,
    BAD_REQUEST: ClientAction.FIX,
    INVALID_REQUEST: ClientAction.FIX,
    UNSUPPORTED_MEDIA_TYPE: ClientAction.FIX,
}
"""What the client does for each request-level error code."""

_BY_STATUS = {
    401: ClientAction.REFRESH,
    403: ClientAction.STOP,
    409: ClientAction.STOP,
    413: ClientAction.SPLIT,
    426: ClientAction.UPGRADE,
    429: ClientAction.WAIT,
}


def action_for(status: int, code: str | None = None) -> ClientAction:
    """The client's action for an HTTP ``status`` and error ``code`` (the code wins when known).

    Unknown codes fall back on the status: 5xx (and 408) retry, other 4xx are client bugs (``FIX``).
    """
    if code in CLIENT_ACTION:
        return CLIENT_ACTION[code]
    if status >= 500 or status == 408:
        return ClientAction.RETRY
    return _BY_STATUS.get(status, ClientAction.FIX)
