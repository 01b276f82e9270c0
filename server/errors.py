"""One error shape for every failure: `{"code", "message", "details"}` (protocol §7).

Domain code raises `KaariError` (or a subclass); the handlers here turn it, Litestar's own HTTP and
validation errors, and anything unexpected into that body. Clients act on `code`, people read `message`.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DBAPIError

log = logging.getLogger("kaari.errors")


class KaariError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status_code: int | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.status_code = status_code or self.status_code
        self.details = details or {}
        self.headers = headers or {}
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details, **self.extra}


class Unauthenticated(KaariError):
    status_code = 401
    code = "unauthenticated"


class Forbidden(KaariError):
    status_code = 403
    code = "forbidden"


class NotFound(KaariError):
    status_code = 404
    code = "not_found"


class Conflict(KaariError):
    status_code = 409
    code = "conflict"


class RateLimited(KaariError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        retry_after = max(1, int(retry_after))
        super().__init__(
            message, details={"retry_after": retry_after}, headers={"Retry-After": str(retry_after)}
        )


class DeviceRevoked(KaariError):
    """The device was revoked: the body tells it to wipe every local store (protocol §7)."""

    status_code = 403
    code = "device_revoked"

    def __init__(self) -> None:
        super().__init__(
            "This device has been revoked. Its local data must be erased.",
            details={"wipe": True},
            extra={"wipe": True},
        )


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    503: "unavailable",
}


def _json(body: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(content=body, status_code=status, headers=headers, media_type="application/json")


def kaari_error_handler(_: Request[Any, Any, Any], exc: KaariError) -> Response[Any]:
    return _json(exc.body(), exc.status_code, exc.headers)


def validation_error_handler(_: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    errors = exc.extra if isinstance(exc.extra, list) else []
    message = exc.detail or "The request is not valid."
    if errors:
        first = errors[0]
        message = f"{first.get('message', message)} ({first.get('key', 'body')})"
    return _json({"code": "invalid_request", "message": message, "details": {"errors": errors}}, 400)


def http_error_handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    details = exc.extra if isinstance(exc.extra, dict) else {}
    body = {"code": _HTTP_CODES.get(status, f"http_{status}"), "message": exc.detail, "details": details}
    return _json(body, status, exc.headers)


# Failures that go away by themselves: the client retries the same request (protocol §7: 5xx).
TRANSIENT = (
    "deadlock detected",
    "could not serialize",
    "database is locked",
    "lock timeout",
    "connection was closed",
    # Two replicas pushing one mutation id at once: the retry finds it used and rejects it (duplicate_id).
    "uq_sync_mutations_id",
    "sync_mutations.id",
)


def database_error_handler(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[Any]:
    text = str(exc.orig if exc.orig is not None else exc).lower()
    if exc.connection_invalidated or any(marker in text for marker in TRANSIENT):
        log.warning("transient database failure", extra={"path": request.url.path, "error": text[:200]})
        body = {"code": "unavailable", "message": "The server is busy; try again shortly.", "details": {}}
        return _json(body, 503, {"Retry-After": "1"})
    return internal_error_handler(request, exc)


def recursion_error_handler(_: Request[Any, Any, Any], exc: RecursionError) -> Response[Any]:
    # Only a body nested thousands deep gets here (decoding it into an untyped field).
    body = {"code": "invalid_request", "message": "The request body is nested too deeply.", "details": {}}
    return _json(body, 400)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error", extra={"path": request.url.path})
    body = {"code": "internal_error", "message": "Something went wrong on the server.", "details": {}}
    return _json(body, HTTP_500_INTERNAL_SERVER_ERROR)


EXCEPTION_HANDLERS = {
    KaariError: kaari_error_handler,
    ValidationException: validation_error_handler,
    HTTPException: http_error_handler,
    DBAPIError: database_error_handler,
    RecursionError: recursion_error_handler,
    Exception: internal_error_handler,
}
