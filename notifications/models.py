"""Tables of the notifications domain.

- `PushSubscription` — one browser's Web Push subscription (its endpoint and keys) for a user on a device,
  with the user's choices for that device: which areas, unit kinds and events it wants pushed. The endpoint
  is unique: subscribing again with the same endpoint updates the row (a browser has one subscription per
  app). Deleted when the push service answers 404/410 (the browser dropped it).
- `NotificationSettings` — per user: quiet hours (Finnish time) during which pushes wait.
- `Notification` — one notification to one user: the in-app inbox row, also published as the sync record
  `notification` in `user:{user_id}`. `key` names what it is about (`referral:{id}`, a burst of free places
  in a unit…); (user, key) is unique and the id is derived from it, so a job that runs twice makes the same
  row. A coalesced burst updates the row and raises `revision`.
- `NotificationBurst` — the coalescing state of a subject (free places of a unit): the dates freed and not
  yet announced (`pending_*`), and the open window (`closes_at`) in which they update the burst's
  notification (`notification_key`, covering `first_date..last_date`) instead of making a new one.
- `PushDelivery` — one revision of a notification to one subscription. (notification, revision,
  subscription) is unique: the delivery key that keeps a re-run job from sending anything twice. Its status
  moves `held` (quiet hours) / `pending` → `sending` (claimed by one run) → `accepted` (the push service took
  it), or `retry` (429/5xx/network, with `not_before`), `gone` (404/410: subscription deleted), `failed`;
  `cancelled` if its subscription is deleted (or passes to another user) before it is sent.
- `PushAttempt` — every HTTP attempt of a delivery: when, how long, the status code, the outcome and why.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, new_id, utcnow
from sync_protocol.policies import Policy, record_policies

NOTIFICATION_NAMESPACE = uuid.UUID("5b0e7d3a-91c4-5f2e-b8a6-0d4c2e6f8a17")
KINDS = (
    "free_places",
    "referral",
    "application",
    "offer_expiring",
    "deadline_at_risk",
    "push_rejected",
    "device_stale",
)
DELIVERY_STATUSES = ("held", "pending", "sending", "retry", "accepted", "gone", "failed", "cancelled")

NOTIFICATION_FIELDS = (
    "id",
    "kind",
    "title",
    "body",
    "url",
    "tag",
    "ids",
    "revision",
    "created_at",
    "updated_at",
    "read_at",
)
"""The fields of the `notification` record; all set by the server (`read_at` through `notification.read`)."""
NOTIFICATION_POLICIES = record_policies("notification", dict.fromkeys(NOTIFICATION_FIELDS, Policy.SERVER))


def notification_id(user_id: uuid.UUID | str, key: str) -> uuid.UUID:
    return uuid.uuid5(NOTIFICATION_NAMESPACE, f"notification:{uuid.UUID(str(user_id))}:{key}")


class PushSubscription(Base):
    __tablename__ = "push_subscriptions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("devices.id", ondelete="SET NULL"), index=True
    )
    endpoint: Mapped[str] = mapped_column(String(1024), unique=True)
    p256dh: Mapped[str] = mapped_column(String(100))
    auth: Mapped[str] = mapped_column(String(40))
    expires_at: Mapped[datetime | None]
    areas: Mapped[list[Any]] = mapped_column(JSON, default=list)
    unit_kinds: Mapped[list[Any]] = mapped_column(JSON, default=list)
    events: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_success_at: Mapped[datetime | None]


class NotificationSettings(Base):
    __tablename__ = "notification_settings"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    quiet_start: Mapped[time | None]
    quiet_end: Mapped[time | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "key"),
        Index("ix_notifications_user_created", "user_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(1000))
    url: Mapped[str] = mapped_column(String(300))
    tag: Mapped[str] = mapped_column(String(100))
    ids: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    urgency: Mapped[str] = mapped_column(String(8))
    ttl: Mapped[int] = mapped_column(Integer)
    topic: Mapped[str | None] = mapped_column(String(32))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]


class NotificationBurst(Base):
    __tablename__ = "notification_bursts"

    subject: Mapped[str] = mapped_column(String(100), primary_key=True)
    notification_key: Mapped[str | None] = mapped_column(String(200))
    first_date: Mapped[date | None]
    last_date: Mapped[date | None]
    closes_at: Mapped[datetime | None]
    pending_first: Mapped[date | None]
    pending_last: Mapped[date | None]
    pending_since: Mapped[datetime | None]


class PushDelivery(Base):
    __tablename__ = "push_deliveries"
    __table_args__ = (
        UniqueConstraint("notification_id", "revision", "subscription_id"),
        Index("ix_push_deliveries_status_not_before", "status", "not_before"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    notification_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)
    subscription_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("push_subscriptions.id", ondelete="SET NULL"), index=True
    )
    origin: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    not_before: Mapped[datetime]
    claim: Mapped[uuid.UUID | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    status_code: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]


class PushAttempt(Base):
    __tablename__ = "push_attempts"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("push_deliveries.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    milliseconds: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(200))
