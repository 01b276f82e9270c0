"""Units of work behind `/api/notifications`: subscriptions, the inbox, quiet hours.

Who may do what: any signed-in user on a personal device manages their own subscriptions and reads their
own inbox; nobody sees or deletes another user's (someone else's id answers 404, as if it did not exist).
A shared tablet cannot subscribe: it is used by many people, and a push would show one person's
notifications to the next (docs/tablets.md). Preferences may name only what the user's
roles cover: events of their roles, areas they hold (any area for a region-wide role).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.delivery import cancel_due
from notifications.endpoints import EndpointRefused, check_endpoint
from notifications.models import Notification, NotificationSettings, PushSubscription
from notifications.rules import EVENTS_BY_ROLE
from notifications.schemas import (
    NotificationList,
    NotificationOut,
    QuietHours,
    SubscribeRequest,
    SubscriptionOut,
)
from notifications.vapid import b64url_decode
from server.access_log.service import Access, record
from server.accounts.principal import Principal
from server.db import begin_write, utcnow
from server.errors import Forbidden, KaariError, NotFound
from server.settings import Settings

MAX_SUBSCRIPTIONS_PER_USER = 10
MAX_PAGE = 200


def invalid(message: str, **details: object) -> KaariError:
    return KaariError(message, code="invalid_subscription", details=dict(details))


def allowed_events(principal: Principal) -> set[str]:
    return {event for role in principal.roles for event in EVENTS_BY_ROLE.get(role, ())}


def check_keys(p256dh: str, auth: str) -> None:
    """The browser's keys: a P-256 public point (65 bytes) and a 16-byte auth secret."""
    try:
        point, secret = b64url_decode(p256dh.rstrip("=")), b64url_decode(auth.rstrip("="))
    except ValueError as exc:
        raise invalid("The subscription keys are not URL-safe base64.") from exc
    if len(secret) != 16:
        raise invalid("keys.auth must be 16 bytes.", field="keys.auth")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError as exc:
        raise invalid("keys.p256dh is not a P-256 public key.", field="keys.p256dh") from exc
    if len(point) != 65:
        raise invalid("keys.p256dh must be an uncompressed P-256 point (65 bytes).", field="keys.p256dh")


def check_preferences(principal: Principal, body: SubscribeRequest) -> list[str]:
    """The events to store (all the roles allow when none are named); refuses what the roles do not cover."""
    prefs = body.preferences
    allowed = allowed_events(principal)
    if not allowed:
        raise Forbidden("None of your roles gets notifications.")
    refused = sorted(set(prefs.events) - allowed)
    if refused:
        raise KaariError(
            "Your roles do not get these notifications.",
            code="invalid_preferences",
            details={"events": refused, "allowed": sorted(allowed)},
        )
    region_wide = any(g.region_wide for g in principal.grants)
    held = {g.area_id for g in principal.grants if g.area_id is not None}
    outside = sorted(str(a) for a in prefs.areas if not region_wide and a not in held)
    if outside:
        raise KaariError(
            "You may subscribe only to your own areas.",
            code="invalid_preferences",
            details={"areas": outside},
        )
    return sorted(set(prefs.events) or allowed)


def subscription_out(row: PushSubscription) -> SubscriptionOut:
    return SubscriptionOut(
        id=row.id,
        device_id=row.device_id,
        push_service=urlsplit(row.endpoint).hostname or "",
        areas=[uuid.UUID(a) for a in row.areas],
        unit_kinds=list(row.unit_kinds),
        events=list(row.events),
        created_at=row.created_at,
        updated_at=row.updated_at,
        last_success_at=row.last_success_at,
    )


async def subscribe(
    session: AsyncSession, settings: Settings, principal: Principal, body: SubscribeRequest
) -> tuple[SubscriptionOut, bool]:
    """Store the browser's subscription for the caller and device; the same endpoint again updates it.
    Returns it and whether it is new."""
    user_id = principal.require_user()
    if principal.device_kind == "shared":
        raise Forbidden("Push notifications go to personal devices, not to a shared tablet.")
    try:
        endpoint = check_endpoint(
            body.subscription.endpoint, settings.push_service_hosts, settings.push_allow_loopback
        )
    except EndpointRefused as exc:
        raise invalid(str(exc), field="subscription.endpoint") from exc
    keys = body.subscription.keys
    check_keys(keys.p256dh, keys.auth)
    events = check_preferences(principal, body)
    expires = body.subscription.expiration_time
    now = utcnow()
    await begin_write(session)
    row = (
        await session.execute(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    ).scalar_one_or_none()
    created = row is None
    if row is None:
        row = PushSubscription(id=uuid.uuid4(), endpoint=endpoint, created_at=now)
        session.add(row)
    elif row.user_id != user_id:
        # What still waited to go to the previous user's subscription must not reach this one.
        await cancel_due(session, {row.id}, "the subscription passed to another user")
    # The browser that holds this endpoint is now signed in as the caller: the subscription is theirs.
    row.user_id, row.device_id = user_id, principal.device_id
    row.p256dh, row.auth = keys.p256dh, keys.auth
    row.expires_at = datetime.fromtimestamp(expires / 1000, UTC) if expires else None
    row.areas = sorted({str(a) for a in body.preferences.areas})
    row.unit_kinds = sorted(set(body.preferences.unit_kinds))
    row.events, row.updated_at = events, now
    await session.flush()
    await _evict_oldest(session, user_id)
    return subscription_out(row), created


async def _evict_oldest(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Keep a user's newest MAX_SUBSCRIPTIONS_PER_USER: an old browser's subscription goes, a new one works."""
    rows = (
        await session.execute(
            select(PushSubscription)
            .where(PushSubscription.user_id == user_id)
            .order_by(PushSubscription.updated_at.desc(), PushSubscription.id)
        )
    ).scalars()
    evicted = list(rows)[MAX_SUBSCRIPTIONS_PER_USER:]
    await cancel_due(session, {old.id for old in evicted}, "the subscription was replaced by a newer one")
    for old in evicted:
        await session.delete(old)


async def subscriptions(session: AsyncSession, principal: Principal) -> list[SubscriptionOut]:
    user_id = principal.require_user()
    rows = await session.execute(
        select(PushSubscription)
        .where(PushSubscription.user_id == user_id)
        .order_by(PushSubscription.created_at, PushSubscription.id)
    )
    return [subscription_out(r) for r in rows.scalars()]


async def unsubscribe(session: AsyncSession, principal: Principal, subscription_id: uuid.UUID) -> None:
    user_id = principal.require_user()
    await begin_write(session)
    row = await session.get(PushSubscription, subscription_id)
    if row is None or row.user_id != user_id:
        raise NotFound("No such subscription of yours.", details={"id": str(subscription_id)})
    await cancel_due(session, {row.id}, "the subscription was deleted")
    await session.delete(row)


def notification_out(row: Notification) -> NotificationOut:
    return NotificationOut(
        row.id,
        row.kind,
        row.title,
        row.body,
        row.url,
        row.tag,
        row.ids,
        row.revision,
        row.created_at,
        row.updated_at,
        row.read_at,
    )


async def inbox(
    session: AsyncSession, principal: Principal, *, unread: bool, before: datetime | None, limit: int
) -> NotificationList:
    """The caller's notifications, newest first; naming a client again is logged again."""
    user_id = principal.require_user()
    if not 1 <= limit <= MAX_PAGE:
        raise KaariError(f"limit is 1-{MAX_PAGE}.", code="invalid_args", details={"limit": limit})
    await begin_write(session)
    query = select(Notification).where(Notification.user_id == user_id)
    if unread:
        query = query.where(Notification.read_at.is_(None))
    if before is not None:
        query = query.where(Notification.created_at < before)
    rows = list(
        (
            await session.execute(
                query.order_by(Notification.created_at.desc(), Notification.id).limit(limit + 1)
            )
        ).scalars()
    )
    more = len(rows) > limit
    rows = rows[:limit]
    count = await session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    await record(session, principal.actor(), [a for row in rows for a in _named(row)])
    return NotificationList(
        [notification_out(r) for r in rows], int(count or 0), rows[-1].created_at if more and rows else None
    )


def _named(row: Notification) -> list[Access]:
    """The clients a notification names (the queue's best matches; an offer's or an assessment's client)."""
    ids = row.ids or {}
    clients = list(ids.get("client_ids") or [])
    return [
        Access(
            "notification", "read", f"notification:{row.kind}", client_id=uuid.UUID(c), record_id=str(row.id)
        )
        for c in clients
    ]


async def get_quiet_hours(session: AsyncSession, principal: Principal) -> QuietHours:
    row = await session.get(NotificationSettings, principal.require_user())
    return QuietHours(row.quiet_start, row.quiet_end) if row else QuietHours()


async def set_quiet_hours(session: AsyncSession, principal: Principal, body: QuietHours) -> QuietHours:
    user_id = principal.require_user()
    if (body.start is None) != (body.end is None):
        raise KaariError("Give both start and end, or neither.", code="invalid_args")
    if any(
        t is not None and (t.tzinfo is not None or t.second or t.microsecond) for t in (body.start, body.end)
    ):
        raise KaariError(
            "Quiet hours are whole minutes of Finnish time, without a zone.", code="invalid_args"
        )
    await begin_write(session)
    row = await session.get(NotificationSettings, user_id)
    if row is None:
        row = NotificationSettings(user_id=user_id)
        session.add(row)
    row.quiet_start, row.quiet_end, row.updated_at = body.start, body.end, utcnow()
    return QuietHours(row.quiet_start, row.quiet_end)
