"""Routes under `/api/notifications`: the VAPID key, the caller's subscriptions, inbox and quiet hours.

Marking notifications read is the mutation `notification.read` (through sync, so it works offline).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from litestar import Controller, Response, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from notifications import service
from notifications.schemas import (
    NotificationList,
    QuietHours,
    SubscribeRequest,
    SubscriptionOut,
    VapidPublicKey,
)
from notifications.vapid import load_keys
from server.deps import Context, CurrentPrincipal, DbSession


class NotificationsController(Controller):
    path = "/api/notifications"
    tags = ["notifications"]

    @get("/vapid-public-key", operation_id="getVapidPublicKey")
    async def vapid_public_key(self, principal: CurrentPrincipal, context: Context) -> VapidPublicKey:
        """The server's VAPID public key, for `pushManager.subscribe({applicationServerKey})`."""
        principal.require_user()
        return VapidPublicKey(load_keys(context.settings).public_key)

    @post("/subscriptions", operation_id="subscribePush")
    async def subscribe(
        self,
        principal: CurrentPrincipal,
        db_session: DbSession,
        context: Context,
        data: JSONBody[SubscribeRequest],
    ) -> Response[SubscriptionOut]:
        """Register this browser's push subscription with what it wants pushed; the same endpoint again
        updates it (200), a new one is created (201)."""
        out, created = await service.subscribe(db_session, context.settings, principal, data)
        return Response(out, status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @get("/subscriptions", operation_id="listPushSubscriptions")
    async def list_subscriptions(
        self, principal: CurrentPrincipal, db_session: DbSession
    ) -> list[SubscriptionOut]:
        """The caller's own subscriptions (every device), without their endpoints and keys."""
        return await service.subscriptions(db_session, principal)

    @delete(
        "/subscriptions/{subscription_id:uuid}",
        operation_id="unsubscribePush",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def unsubscribe(
        self, principal: CurrentPrincipal, db_session: DbSession, subscription_id: FromPath[uuid.UUID]
    ) -> None:
        """Delete one of the caller's subscriptions (another user's answers 404)."""
        await service.unsubscribe(db_session, principal, subscription_id)

    @get("/", operation_id="listNotifications")
    async def inbox(
        self,
        principal: CurrentPrincipal,
        db_session: DbSession,
        unread: FromQuery[bool] = False,
        before: FromQuery[datetime | None] = None,
        limit: FromQuery[int] = 50,
    ) -> NotificationList:
        """The caller's notifications, newest first, with the unread count; `before` pages back."""
        return await service.inbox(db_session, principal, unread=unread, before=before, limit=limit)

    @get("/quiet-hours", operation_id="getQuietHours")
    async def get_quiet_hours(self, principal: CurrentPrincipal, db_session: DbSession) -> QuietHours:
        """The caller's quiet hours (Finnish time): pushes wait, the inbox does not."""
        return await service.get_quiet_hours(db_session, principal)

    @put("/quiet-hours", operation_id="setQuietHours")
    async def set_quiet_hours(
        self, principal: CurrentPrincipal, db_session: DbSession, data: JSONBody[QuietHours]
    ) -> QuietHours:
        """Set (or, with both null, clear) the caller's quiet hours."""
        return await service.set_quiet_hours(db_session, principal, data)
