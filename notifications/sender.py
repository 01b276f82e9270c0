"""Sending one push: encrypt (aes128gcm), sign (VAPID), POST over one pooled HTTP client, classify the answer.

pywebpush is used only to encrypt (`WebPusher(subscription).encode`): its own sending is synchronous
(`requests`), has no timeout, sends TTL 0 unless told, and mutates the VAPID claims it is given. The
request is made here with httpx: one `AsyncClient` per process (keep-alive connections to each push
service, at most `push_concurrency` at once), a timeout on every request, no redirects followed (an
endpoint was checked when it was registered, a redirect target was not).

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

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
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


def classify(response: httpx.Response, milliseconds: int) -> Outcome:
    code = response.status_code
    if code in (200, 201, 202):
        return Outcome("accepted", code, None, None, milliseconds)
    excerpt = response.text[:BODY_EXCERPT].strip() if response.content else ""
    why = f"{code} {response.reason_phrase}" + (f": {excerpt}" if excerpt else "")
    if code in (404, 410):
        return Outcome("gone", code, why, None, milliseconds)
    if code == 429 or code >= 500:
        return Outcome(
            "retry", code, why, retry_after_seconds(response.headers.get("retry-after")), milliseconds
        )
    if code in (401, 403):
        return Outcome("vapid_rejected", code, why, None, milliseconds)
    return Outcome("failed", code, why, None, milliseconds)


class PushSender:
    """The process's one HTTP client for push services, with the VAPID keys."""

    def __init__(self, keys: VapidKeys, *, concurrency: int = 50, timeout: float = 10.0) -> None:
        self.keys = keys
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            follow_redirects=False,
        )

    async def send(
        self, target: Target, plaintext: bytes, *, ttl: int, urgency: str, topic: str | None
    ) -> Outcome:
        headers = {
            "Authorization": self.keys.authorization(origin_of(target.endpoint)),
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
            response = await self.client.post(target.endpoint, content=body, headers=headers)
        except httpx.TimeoutException:
            return Outcome("retry", None, "timeout", None, _ms(started))
        except httpx.TransportError as exc:
            return Outcome("retry", None, f"network: {type(exc).__name__}", None, _ms(started))
        return classify(response, _ms(started))

    async def close(self) -> None:
        await self.client.aclose()


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
