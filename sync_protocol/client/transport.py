"""HTTP for the reference client: encoding, authentication, retries, and §7 errors as exceptions.

One :meth:`Transport.post` call sends one protocol request until it gets an answer the caller can act on:

- 2xx: the decoded body (a 200 whose body is cut short counts as a transport error and is retried);
- 401: refresh the credentials once and resend; a second 401 raises :class:`AuthenticationRequired`;
- 429: wait ``Retry-After`` (or a backoff delay), then resend;
- 5xx, 408 and transport errors: exponential backoff with full jitter, ``retry.attempts`` tries in all;
- everything else raises the matching exception from :mod:`sync_protocol.client.errors`.

``sleep``, ``random`` and ``now`` are injectable so tests and the load generator control time. Every
request carries ``X-Client-Time`` (``now()`` as ISO 8601 with its offset): the server derives the device's
clock skew from it for the admin's sync-health view.

Every request also accepts a compressed answer (``Accept-Encoding``: the ``httpx`` client's own value,
``gzip`` if it has none): the server gzips pull pages, which are repetitive JSON, about tenfold.
"""

from __future__ import annotations

import asyncio
import email.utils
import random as _random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import msgspec

from sync_protocol import codec
from sync_protocol.client.auth import Credentials
from sync_protocol.client.errors import (
    AuthenticationRequired,
    ClientStopped,
    DeviceRevoked,
    PayloadTooLarge,
    ProtocolViolation,
    RequestRejected,
    SeqReused,
    ServerUnavailable,
    UpgradeRequired,
)
from sync_protocol.errors import DEVICE_REVOKED, SEQ_REUSED, ClientAction, action_for
from sync_protocol.messages import ErrorBody

__all__ = ["RetryPolicy", "Transport"]

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[Any]]
CLIENT_TIME_HEADER = "X-Client-Time"
ACCEPT_ENCODING = "gzip"


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Backoff for transient failures: try ``attempts`` times in all; before retry *n* (0-based) sleep
    ``random() * min(max_delay, base_delay * 2**n)`` ("full jitter"). ``Retry-After`` is honoured up to
    ``max_retry_after`` seconds."""

    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 60.0
    max_retry_after: float = 600.0

    def delay(self, attempt: int, random: Callable[[], float]) -> float:
        return random() * min(self.max_delay, self.base_delay * 2**attempt)


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class Transport:
    """Sends protocol requests for one client."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        credentials: Credentials,
        *,
        encoding: str = codec.JSON,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        random: Callable[[], float] = _random.random,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.http = http
        self.credentials = credentials
        self.encoding = codec.media_type(encoding)
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.random = random
        self.now = now
        """The device clock for ``X-Client-Time`` (:class:`Replica` code may point it at its own ``now``)."""
        self.retries = 0
        """Total retries so far (for the load generator's statistics)."""

    async def post(self, path: str, body: Any, response_type: type[T]) -> T:
        """POST ``body`` to ``path`` and decode the answer as ``response_type``."""
        content = codec.encode(body, self.encoding)
        attempt = 0
        refreshed = False
        while True:
            headers = {
                "Content-Type": self.encoding,
                "Accept": self.encoding,
                "Accept-Encoding": self.http.headers.get("accept-encoding") or ACCEPT_ENCODING,
                CLIENT_TIME_HEADER: _client_time(self.now()),
                **self.credentials.headers(),
            }
            try:
                response = await self.http.post(path, content=content, headers=headers)
            except (httpx.TransportError, httpx.DecodingError) as exc:
                # A DecodingError is a compressed body cut short: the network's fault, like a reset.
                reason = f"transport error: {type(exc).__name__}"
                attempt = await self._backoff(attempt, reason, code="transport_error")
                continue
            if 200 <= response.status_code < 300:
                try:
                    return codec.decode(response.content, response_type, response.headers.get("content-type"))
                except msgspec.ValidationError as exc:
                    raise ProtocolViolation(f"{path}: unexpected answer: {exc}") from exc
                except (msgspec.DecodeError, codec.UnsupportedMediaType):
                    attempt = await self._backoff(attempt, "truncated response", code="truncated_response")
                    continue
            error = _error_body(response)
            status = response.status_code
            action = action_for(status, error.code)
            message = f"{path}: HTTP {status} {error.code}: {error.message}".rstrip(": ")
            if action is ClientAction.REFRESH:
                if refreshed:
                    raise AuthenticationRequired(message, status=status, code=error.code)
                await self.credentials.refresh(self.http)
                refreshed = True
            elif action is ClientAction.WAIT:
                wait = retry_after(response.headers.get("retry-after"))
                attempt = await self._backoff(attempt, message, wait, code=error.code)
            elif action is ClientAction.RETRY:
                attempt = await self._backoff(attempt, message, code=error.code)
            else:
                raise _exception(action, error, message, status)

    async def _backoff(self, attempt: int, reason: str, wait: float | None = None, *, code: str) -> int:
        if attempt + 1 >= self.retry.attempts:
            raise ServerUnavailable(f"gave up after {attempt + 1} attempts: {reason}", code=code)
        delay = self.retry.delay(attempt, self.random) if wait is None else wait
        self.retries += 1
        await self.sleep(min(delay, self.retry.max_retry_after))
        return attempt + 1


def _client_time(now: datetime) -> str:
    return (now if now.tzinfo is not None else now.replace(tzinfo=UTC)).isoformat()


def _error_body(response: httpx.Response) -> ErrorBody:
    try:
        return codec.decode(response.content, ErrorBody, response.headers.get("content-type"))
    except (msgspec.DecodeError, codec.UnsupportedMediaType):
        return ErrorBody(code=f"http_{response.status_code}", message=response.reason_phrase)


def _exception(action: ClientAction, error: ErrorBody, message: str, status: int) -> Exception:
    kwargs: dict[str, Any] = {"status": status, "code": error.code, "details": error.details}
    if action is ClientAction.WIPE or error.code == DEVICE_REVOKED:
        return DeviceRevoked(message, **kwargs)
    if error.code == SEQ_REUSED:
        return SeqReused(message, **kwargs)
    if action is ClientAction.STOP:
        return ClientStopped(message, **kwargs)
    if action is ClientAction.SPLIT:
        return PayloadTooLarge(message, **kwargs)
    if action is ClientAction.UPGRADE:
        return UpgradeRequired(message, **kwargs)
    return RequestRejected(message, **kwargs)
