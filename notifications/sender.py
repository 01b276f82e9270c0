"""Sending one push: encrypt (aes128gcm), sign (VAPID), POST over one pooled HTTP client, classify the answer.

pywebpush is used only to encrypt (`WebPusher(subscription).encode`): its own sending is synchronous
(`requests`), has no timeout, sends TTL 0 unless told, and mutates the VAPID claims it is given. The
request is made here with aiohttp (which pywebpush already depends on): one `ClientSession` per process and
event loop, keep-alive connections to each push service, a timeout on every request, no redirects followed
(an endpoint was checked when it was registered, a redirect target was not), no cookies kept. aiohttp and
not httpx: a request to a push service costs a fraction of httpx's (1,000 pushes to a loopback push service
at 50 in flight: 0.2-0.3 s against 3.7-4.3 s, measured side by side), and sending is what bounds a fan-out.

At most `concurrency` pushes are in flight, and at most `per_origin` to one push service, so a slow or
failing push service (every request waiting out its timeout) leaves room for the others. A push waits for
both slots before it is encrypted and sent, so the request's timeout counts only the request, never the
wait for a slot (aiohttp's `total` timeout would otherwise count the wait for a pooled connection).

What an answer means (RFC 8030 and the push services' docs):

| answer | outcome | what happens |
|---|---|---|
| 200, 201, 202 | `accepted` | the push service has it |
| 404, 410 | `gone` | the browser dropped the subscription: it is deleted |
| 429, 500-599, timeout, network error | `retry` | again after `Retry-After` (seconds or a date), else a backoff |
| 401, 403 | `vapid_rejected` | our VAPID signature is refused: counted and alerted, the subscription is kept |
| 413 | `failed` | the payload is too large (a bug here: the payload is limited before sending) |
| other 4xx | `failed` | the request was refused; the reason is recorded |
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import aiohttp
from pywebpush import WebPusher

from notifications.endpoints import origin_of
from notifications.vapid import VapidKeys

MAX_RETRY_AFTER_SECONDS = 3600
BODY_EXCERPT = 160


@dataclass(frozen=True, slots=True)
class Target:
    endpoint: str
    p256dh: str
    auth: str


@dataclass(frozen=True, slots=True)
class Outcome:
    outcome: str  # accepted, retry, gone, vapid_rejected, failed
    status_code: int | None
    reason: str | None
    retry_after: float | None
    milliseconds: int
    sent: bool = True
    """False when nothing went out (a payload refused here, a notification no longer to be pushed)."""


def encrypt(target: Target, plaintext: bytes) -> bytes:
    """The aes128gcm body for the subscription's keys (RFC 8291)."""
    pusher = WebPusher({"endpoint": target.endpoint, "keys": {"p256dh": target.p256dh, "auth": target.auth}})
    return pusher.encode(plaintext, content_encoding="aes128gcm")["body"]


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds from now: a number of seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def classify(code: int, phrase: str, headers: Mapping[str, str], body: bytes, milliseconds: int) -> Outcome:
    """The outcome of a push service's answer (the table in the module docstring)."""
    if code in (200, 201, 202):
        return Outcome("accepted", code, None, None, milliseconds)
    excerpt = body[:BODY_EXCERPT].decode("utf-8", "replace").strip()
    why = f"{code} {phrase}" + (f": {excerpt}" if excerpt else "")
    if code in (404, 410):
        return Outcome("gone", code, why, None, milliseconds)
    if code == 429 or code >= 500:
        return Outcome("retry", code, why, retry_after_seconds(headers.get("retry-after")), milliseconds)
    if code in (401, 403):
        return Outcome("vapid_rejected", code, why, None, milliseconds)
    return Outcome("failed", code, why, None, milliseconds)


class PushSender:
    """The process's one HTTP client for push services (made on the running event loop), with the VAPID keys."""

    def __init__(
        self, keys: VapidKeys, *, concurrency: int = 50, per_origin: int | None = None, timeout: float = 10.0
    ) -> None:
        self.keys = keys
        concurrency = max(1, concurrency)
        per_origin = min(concurrency, max(1, per_origin or concurrency))
        self._slots = asyncio.Semaphore(concurrency)
        self._origin_slots: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(per_origin)
        )
        self._pool = (concurrency, per_origin, timeout)
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        """The pooled client, made on the first push (a sweep with nothing to send opens nothing)."""
        if self._session is None:
            concurrency, per_origin, timeout = self._pool
            self._session = aiohttp.ClientSession(
                # The pool never makes a push wait: the semaphores admit no more than it holds.
                connector=aiohttp.TCPConnector(
                    limit=concurrency, limit_per_host=per_origin, ttl_dns_cache=300
                ),
                timeout=aiohttp.ClientTimeout(total=timeout, sock_connect=min(timeout, 5.0)),
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=True,  # HTTPS_PROXY / NO_PROXY, as operators expect
            )
        return self._session

    async def send(
        self, target: Target, plaintext: bytes, *, expires: datetime, urgency: str, topic: str | None
    ) -> Outcome:
        """Push `plaintext` to the subscription, to be kept by the push service until `expires` (the TTL)."""
        origin = origin_of(target.endpoint)
        async with self._origin_slots[origin], self._slots:
            return await self._send(origin, target, plaintext, expires=expires, urgency=urgency, topic=topic)

    async def _send(
        self,
        origin: str,
        target: Target,
        plaintext: bytes,
        *,
        expires: datetime,
        urgency: str,
        topic: str | None,
    ) -> Outcome:
        ttl = max(int((expires - datetime.now(UTC)).total_seconds()), 0)  # what is left once a slot is free
        headers = {
            "Authorization": self.keys.authorization(origin),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(ttl),
            "Urgency": urgency,
        }
        if topic:
            headers["Topic"] = topic
        started = time.perf_counter()
        try:
            body = encrypt(target, plaintext)
        except Exception as exc:  # keys are checked at subscription; a bad one fails this delivery only
            return Outcome(
                "failed", None, f"encryption: {exc}"[:BODY_EXCERPT], None, _ms(started), sent=False
            )
        try:
            async with self.session.post(
                target.endpoint, data=body, headers=headers, allow_redirects=False
            ) as response:
                answer = await response.read()
                return classify(
                    response.status, response.reason or "", response.headers, answer, _ms(started)
                )
        except TimeoutError:
            return Outcome("retry", None, "timeout", None, _ms(started))
        except aiohttp.ClientError as exc:
            return Outcome("retry", None, f"network: {type(exc).__name__}", None, _ms(started))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
