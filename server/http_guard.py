"""What every HTTP request and response passes through before any route: NUL bytes refused, security headers.

NUL: PostgreSQL cannot store it in text and the file system refuses it in a name, while SQLite stores it;
refusing it here (a 400 before any route runs) makes both engines answer alike. The sync routes are the
exception: inside a mutation's args a NUL rejects that mutation alone, so one bad note never blocks a
device's queue (`sync_protocol.catalog`), and their envelopes refuse it by schema.

Headers: a strict Content-Security-Policy (the app has no inline script or style, so none is allowed), no
framing, no sniffing, no referrer, HSTS. The OpenAPI viewers under `/schema` load their scripts from a CDN and
get a policy that allows exactly that.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from server.errors import KaariError

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SCHEMA_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://unpkg.com; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://unpkg.com https://fonts.googleapis.com; "
    "font-src 'self' https://fonts.gstatic.com; img-src 'self' data: https:; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}.items()
# Paths whose bodies are checked by their own decoding (per mutation), not here.
OWN_CHECKS = ("/api/sync/v1/push", "/api/sync/v1/pull")
_ESCAPED_NUL = b"\\u0000"


class NulInRequest(KaariError):
    code = "invalid_request"

    def __init__(self, where: str) -> None:
        super().__init__(f"The request has a NUL character in its {where}; that is never valid.")


async def security_headers(message: Message, scope: Scope) -> None:
    """`before_send` hook: every response gets the headers, errors and unmatched paths included."""
    if message["type"] == "http.response.start":
        policy = SCHEMA_CSP if scope.get("path", "").startswith("/schema") else CSP
        headers = MutableScopeHeaders.from_message(message)
        headers["content-security-policy"] = policy
        for name, value in HEADERS:
            headers[name] = value


def http_guard_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        path: str = scope["path"]
        if "\x00" in path or b"%00" in scope.get("query_string", b""):
            raise NulInRequest("address")
        if path in OWN_CHECKS:
            await app(scope, receive, send)
            return
        tail = b""

        async def receive_checked() -> Message:
            nonlocal tail
            message = await receive()
            if message["type"] == "http.request":
                chunk = tail + message.get("body", b"")
                if _ESCAPED_NUL in chunk or b"\x00" in chunk:
                    raise NulInRequest("body")
                tail = chunk[-(len(_ESCAPED_NUL) - 1) :]
            return message

        await app(scope, receive_checked, send)

    return middleware
