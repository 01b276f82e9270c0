"""Request and response bodies of `/api/notifications` (msgspec Structs; unknown fields are refused)."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Annotated, Any, Literal

import msgspec

from notifications.models import KINDS

Event = Literal[KINDS]  # type: ignore[valid-type]  # every notification kind is an event one can choose
UnitKindChoice = Literal["day_activity", "housing_24h", "short_term_care"]
Base64Url = Annotated[str, msgspec.Meta(min_length=16, max_length=100, pattern=r"^[A-Za-z0-9_-]+={0,2}$")]


class SubscriptionKeys(msgspec.Struct, forbid_unknown_fields=True):
    p256dh: Base64Url
    auth: Base64Url


class BrowserSubscription(msgspec.Struct, forbid_unknown_fields=True, rename="camel"):
    """What the browser's `PushSubscription.toJSON()` gives."""

    endpoint: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
    keys: SubscriptionKeys
    expiration_time: int | None = None
    """Milliseconds since the epoch (`expirationTime`), usually null."""


class Preferences(msgspec.Struct, forbid_unknown_fields=True):
    """What this device wants pushed; an empty list means all the user's role covers."""

    areas: Annotated[list[uuid.UUID], msgspec.Meta(max_length=50)] = []
    unit_kinds: Annotated[list[UnitKindChoice], msgspec.Meta(max_length=3)] = []
    events: Annotated[list[Event], msgspec.Meta(max_length=len(KINDS))] = []


class SubscribeRequest(msgspec.Struct, forbid_unknown_fields=True):
    subscription: BrowserSubscription
    preferences: Preferences = msgspec.field(default_factory=Preferences)


class SubscriptionOut(msgspec.Struct):
    id: uuid.UUID
    device_id: uuid.UUID | None
    push_service: str
    """The push service's host (the endpoint itself is a secret of the browser)."""
    areas: list[uuid.UUID]
    unit_kinds: list[str]
    events: list[str]
    created_at: datetime
    updated_at: datetime
    last_success_at: datetime | None


class VapidPublicKey(msgspec.Struct):
    public_key: str
    """URL-safe base64 of the uncompressed P-256 point: `applicationServerKey` for `pushManager.subscribe`."""


class NotificationOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    title: str
    body: str
    url: str
    tag: str
    ids: dict[str, Any]
    revision: int
    created_at: datetime
    updated_at: datetime
    read_at: datetime | None


class NotificationList(msgspec.Struct):
    items: list[NotificationOut]
    unread: int
    """Unread notifications of the user in all (not only this page)."""
    next_before: datetime | None
    """Pass as `before` for the next, older page; null on the last page."""


class QuietHours(msgspec.Struct, forbid_unknown_fields=True):
    """Pushes wait between `start` and `end` (Finnish time; may cross midnight); both null: none."""

    start: time | None = None
    end: time | None = None
