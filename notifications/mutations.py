"""`notification.read`: the user read notifications in the app (a mutation, so it works offline too).

Only the author's own notifications: an id that is not theirs (or does not exist) rejects the whole
mutation `unknown_entity`, telling nothing about other users' inboxes. `read_at` is when the device says
the user read it (clamped, protocol §3); the earliest read stays, so marking read again changes nothing.
The records are republished in `user:{id}`, and every device of the user shows them read.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from sqlalchemy import select

from notifications.inbox import publish
from notifications.models import Notification
from server.sync.mutations import MutationContext, mutation

MAX_READ = 200


class ReadNotifications(msgspec.Struct, forbid_unknown_fields=True):
    notification_ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=MAX_READ)]


@mutation("notification.read", args=ReadNotifications, touches=lambda a: ())
async def read(ctx: MutationContext, args: ReadNotifications) -> dict:
    """Mark the author's notifications read."""
    wanted = set(args.notification_ids)
    rows = list(
        (
            await ctx.session.execute(
                select(Notification).where(Notification.id.in_(wanted), Notification.user_id == ctx.user_id)
            )
        ).scalars()
    )
    missing = wanted - {r.id for r in rows}
    if missing:
        ctx.reject(
            "unknown_entity",
            "No such notification of yours.",
            {"notification_ids": sorted(map(str, missing))},
        )
    at, changed = ctx.client_time(), 0
    for row in rows:
        if row.read_at is None or at < row.read_at:
            row.read_at = at
            publish(ctx.changes, row)
            changed += 1
    return {"read": changed}
