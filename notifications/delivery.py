"""Delivering pushes: claim the due deliveries, send them with bounded concurrency, record every attempt.

`deliver(session, sender, now)` works in three short transactions, never holding one open over HTTP:

1. **claim**: due deliveries (`pending`, `held` past the quiet hours, `retry` past `not_before`) become
   `sending` with this run's claim token, in one UPDATE. A delivery is claimed by one run only, and a claimed
   one is never claimed again: that, with the unique (notification, revision, subscription) delivery key, is
   why a job that runs twice, or two workers at once, never send the same push twice (at most once; a run
   that dies mid-send leaves `sending` rows, which `expire_stale` later marks failed, never resends).
2. **send**: each claimed delivery whose notification is still current (not superseded by a newer
   revision, not past its TTL) is encrypted and POSTed (`notifications.sender`) over the process's one
   pooled client, as many at a time as the sender admits (`KAARI_PUSH_CONCURRENCY`, and per push service).
3. **record**: each delivery's outcome and a `PushAttempt` row per attempt; 404/410 delete the
   subscription; 429/5xx and network errors are retried after `Retry-After` (else 2, 4, 8… s) up to
   `MAX_ATTEMPTS`; 401/403 are counted and alerted (an admin notification per push service and day), never
   answered by deleting anything.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from notifications import metrics
from notifications.models import Notification, PushAttempt, PushDelivery, PushSubscription
from notifications.payload import Payload, PayloadTooLarge, encode
from notifications.sender import Outcome, PushSender, Target
from server.db import begin_write, utcnow

log = logging.getLogger("kaari.notifications")

MAX_ATTEMPTS = 5
STALE_AFTER = timedelta(minutes=10)
DUE_STATUSES = ("pending", "held", "retry")
DELIVERIES = PushDelivery.__table__
_RECORD = (
    update(DELIVERIES)
    .where(DELIVERIES.c.id == bindparam("key"))
    .values(
        status=bindparam("status"),
        attempts=bindparam("attempts"),
        status_code=bindparam("status_code"),
        reason=bindparam("reason"),
        not_before=bindparam("not_before"),
        accepted_at=bindparam("accepted_at"),
        claim=None,
    )
)


@dataclass
class Report:
    """What one `deliver` run did, by outcome; `next_retry` is when the earliest retry falls due."""

    accepted: int = 0
    retry: int = 0
    gone: int = 0
    failed: int = 0
    rejected: int = 0
    skipped: int = 0
    next_retry: datetime | None = None
    rejected_origins: dict[str, int | None] = field(default_factory=dict)

    @property
    def sent(self) -> int:
        return self.accepted + self.retry + self.gone + self.failed + self.rejected


@dataclass(frozen=True, slots=True)
class Claimed:
    delivery_id: uuid.UUID
    attempts: int
    subscription_id: uuid.UUID
    target: Target
    notification: Notification
    revision: int
    created_at: datetime


async def deliver(
    session: AsyncSession,
    sender: PushSender,
    *,
    notification_ids: list[uuid.UUID] | None = None,
    now: datetime | None = None,
) -> Report:
    """Send every delivery due at `now` (of `notification_ids`, or all) once; see the module docstring."""
    report = Report()
    claimed = await _claim(session, notification_ids, now or utcnow())
    if not claimed:
        return report
    now = utcnow()
    payloads: dict[tuple[uuid.UUID, int], bytes | str] = {}
    sendable: list[Claimed] = []
    results: list[tuple[Claimed, Outcome]] = []
    for item in claimed:
        why = _not_sendable(item, now)
        if why is not None:
            results.append((item, Outcome("skipped", None, why, None, 0, sent=False)))
            continue
        key = (item.notification.id, item.revision)
        if key not in payloads:
            try:
                payloads[key] = encode(payload_of(item.notification))
            except PayloadTooLarge as exc:
                payloads[key] = str(exc)
        if isinstance(payloads[key], str):
            results.append((item, Outcome("failed", None, payloads[key], None, 0, sent=False)))
        else:
            sendable.append(item)

    async def one(item: Claimed) -> tuple[Claimed, Outcome]:
        # The sender bounds how many are in flight (in all, and per push service).
        n = item.notification
        body = payloads[(n.id, item.revision)]
        assert isinstance(body, bytes)
        expires = n.updated_at + timedelta(seconds=n.ttl)
        return item, await sender.send(item.target, body, expires=expires, urgency=n.urgency, topic=n.topic)

    results += await asyncio.gather(*(one(item) for item in sendable))
    await _record(session, results, report)
    return report


def payload_of(row: Notification) -> Payload:
    return Payload(
        id=str(row.id),
        kind=row.kind,
        title=row.title,
        body=row.body,
        tag=row.tag,
        url=row.url,
        ids=row.ids,
        revision=row.revision,
        created_at=row.created_at.isoformat(),
        renotify=row.revision > 1,
    )


def _not_sendable(item: Claimed, now: datetime) -> str | None:
    n = item.notification
    if item.revision < n.revision:
        return "superseded by a newer revision"
    if n.read_at is not None:
        return "read in the app before it could be pushed"
    if (now - n.updated_at).total_seconds() >= n.ttl:
        return "expired before it could be sent (TTL)"
    return None


async def _claim(
    session: AsyncSession, notification_ids: list[uuid.UUID] | None, now: datetime
) -> list[Claimed]:
    token = uuid.uuid4()
    await begin_write(session)
    where = [
        PushDelivery.status.in_(DUE_STATUSES),
        PushDelivery.not_before <= now,
        PushDelivery.subscription_id.is_not(None),
    ]
    if notification_ids is not None:
        if not notification_ids:
            await session.rollback()
            return []
        where.append(PushDelivery.notification_id.in_(notification_ids))
    # `not_before` becomes the claim time: `expire_stale` finds runs that died holding their claim.
    await session.execute(
        update(PushDelivery).where(*where).values(status="sending", claim=token, not_before=now)
    )
    rows = (
        await session.execute(
            select(PushDelivery, PushSubscription, Notification)
            .join(PushSubscription, PushSubscription.id == PushDelivery.subscription_id)
            .join(Notification, Notification.id == PushDelivery.notification_id)
            .where(PushDelivery.claim == token)
            .execution_options(populate_existing=True)
        )
    ).all()
    await session.execute(
        update(PushDelivery)
        .where(PushDelivery.claim == token, PushDelivery.sent_at.is_(None))
        .values(sent_at=now)
    )
    await session.commit()
    return [
        Claimed(d.id, d.attempts, s.id, Target(s.endpoint, s.p256dh, s.auth), n, d.revision, d.created_at)
        for d, s, n in rows
    ]


def _retry_delay(outcome: Outcome, attempts: int) -> float:
    if outcome.retry_after is not None:
        return max(outcome.retry_after, 1.0)
    return float(2**attempts)


async def _record(session: AsyncSession, results: list[tuple[Claimed, Outcome]], report: Report) -> None:
    now = utcnow()
    updates: list[dict[str, Any]] = []
    attempts: list[dict[str, Any]] = []
    gone: set[uuid.UUID] = set()
    alive: set[uuid.UUID] = set()
    for item, outcome in results:
        status, reason, not_before, accepted_at = outcome.outcome, outcome.reason, now, None
        tries = item.attempts + (1 if outcome.sent else 0)
        if status == "accepted":
            accepted_at = now
            alive.add(item.subscription_id)
        elif status == "gone":
            gone.add(item.subscription_id)
        elif status == "vapid_rejected":
            status = "failed"
            report.rejected += 1
            report.rejected_origins[_host(item.target.endpoint)] = outcome.status_code
            metrics.REJECTED.labels(host=_host(item.target.endpoint)).inc()
        elif status == "retry":
            delay = _retry_delay(outcome, tries)
            not_before = now + timedelta(seconds=delay)
            n = item.notification
            if tries >= MAX_ATTEMPTS:
                status, reason = "failed", f"gave up after {tries} attempts: {reason}"
            elif not_before >= n.updated_at + timedelta(seconds=n.ttl):
                status, reason = "failed", f"TTL would pass before the next attempt: {reason}"
            else:
                report.next_retry = min(report.next_retry or not_before, not_before)
        if outcome.outcome != "vapid_rejected":
            setattr(report, status, getattr(report, status) + 1)
        if status == "skipped":
            status = "failed"
        updates.append(
            {
                "key": item.delivery_id,
                "status": status,
                "attempts": tries,
                "status_code": outcome.status_code,
                "reason": reason,
                "not_before": not_before,
                "accepted_at": accepted_at,
            }
        )
        if outcome.sent:
            metrics.ATTEMPTS.labels(outcome=outcome.outcome).inc()
            metrics.SEND_SECONDS.observe(outcome.milliseconds / 1000)
            attempts.append(
                {
                    "delivery_id": item.delivery_id,
                    "at": now,
                    "milliseconds": outcome.milliseconds,
                    "status_code": outcome.status_code,
                    "outcome": outcome.outcome,
                    "reason": outcome.reason,
                }
            )
    await begin_write(session)
    conn = await session.connection()
    if updates:
        await conn.execute(_RECORD, updates)
    if attempts:
        await conn.execute(insert(PushAttempt.__table__), attempts)
    if alive:
        await session.execute(
            update(PushSubscription).where(PushSubscription.id.in_(alive)).values(last_success_at=now)
        )
    if gone:
        # The browser dropped these subscriptions (404/410): delete them, and what else waited for them.
        # Deliveries keep their history.
        await cancel_due(session, gone, "the push service dropped the subscription (404/410)")
        await session.execute(delete(PushSubscription).where(PushSubscription.id.in_(gone)))
        metrics.PRUNED.inc(len(gone))
    await session.commit()
    for origin, code in report.rejected_origins.items():
        log.error(
            "push service refused our VAPID signature; subscriptions kept",
            extra={"push_host": origin, "status_code": code},
        )


def _host(endpoint: str) -> str:
    return (urlsplit(endpoint).hostname or "").lower()


async def cancel_due(session: AsyncSession, subscription_ids: set[uuid.UUID], reason: str) -> int:
    """The deliveries still to be sent to these subscriptions (about to be deleted, or given to another
    user): `cancelled`, in the caller's transaction. A deleted subscription's deliveries would otherwise
    wait forever (nothing sends to no subscription), and a moved one's would reach the wrong user."""
    if not subscription_ids:
        return 0
    result = await session.execute(
        update(PushDelivery)
        .where(PushDelivery.subscription_id.in_(subscription_ids), PushDelivery.status.in_(DUE_STATUSES))
        .values(status="cancelled", reason=reason[:200], claim=None)
    )
    return result.rowcount or 0


async def cancel_orphans(session: AsyncSession) -> int:
    """Deliveries left due without a subscription (it went with its user, or without `cancel_due`):
    `cancelled`, so none stays pending for ever. The sweep's."""
    await begin_write(session)
    result = await session.execute(
        update(PushDelivery)
        .where(PushDelivery.subscription_id.is_(None), PushDelivery.status.in_(DUE_STATUSES))
        .values(status="cancelled", reason="the subscription was deleted before it was sent", claim=None)
    )
    await session.commit()
    return result.rowcount or 0


async def expire_stale(session: AsyncSession, now: datetime) -> int:
    """Deliveries a dead run left `sending`: failed, never sent again (they may have reached the device)."""
    await begin_write(session)
    result = await session.execute(
        update(PushDelivery)
        .where(PushDelivery.status == "sending", PushDelivery.not_before <= now - STALE_AFTER)
        .values(
            status="failed", reason="interrupted while sending; not retried (it may have arrived)", claim=None
        )
    )
    await session.commit()
    return result.rowcount or 0
