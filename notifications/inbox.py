"""Storing notifications: the inbox row and sync record, the access log, and one delivery per subscription.

`store(session, changes, drafts, now)` runs inside a job's write transaction. For each draft (one
notification to one user) it upserts the `Notification` by (user, key): a new one is revision 1; one whose
text or ids changed (a coalesced burst) gets the next revision and is unread again; an unchanged one is
left alone (a job that runs twice adds nothing). It publishes the `notification` record into the user's
`user:{id}` scope, so the inbox reaches every device of the user by sync whether or not a push arrives,
writes an access-log entry for every client the notification names, and adds a `PushDelivery` for the new
revision to each of the user's subscriptions that wants it (its areas, unit kinds and events). The
delivery is `pending`, or `held` until the end of the user's quiet hours.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.endpoints import origin_of
from notifications.models import (
    Notification,
    NotificationSettings,
    PushDelivery,
    PushSubscription,
    notification_id,
)
from notifications.quiet import held_until
from server.access_log.service import Access, record_each
from server.accounts.principal import Actor
from server.accounts.scopes import user_scope
from server.db import dialect_insert
from server.sync.changes import ChangeSet


@dataclass(frozen=True)
class Audience:
    """Which subscriptions want a notification: its event, and the area and unit kind it is about (None:
    not about one, so a subscription's choice of areas or unit kinds does not filter it)."""

    event: str
    area_id: uuid.UUID | None = None
    unit_kind: str | None = None

    def wants(self, subscription: PushSubscription) -> bool:
        if subscription.events and self.event not in subscription.events:
            return False
        if self.area_id is not None and subscription.areas and str(self.area_id) not in subscription.areas:
            return False
        return not (
            self.unit_kind is not None
            and subscription.unit_kinds
            and self.unit_kind not in subscription.unit_kinds
        )


@dataclass
class Draft:
    """One notification to one user, before it is stored."""

    user_id: uuid.UUID
    username: str | None
    key: str
    kind: str
    title: str
    body: str
    url: str
    tag: str
    ids: dict[str, Any]
    urgency: str
    ttl: int
    audience: Audience
    topic: str | None = None
    named_clients: list[uuid.UUID] = field(default_factory=list)
    basis: str | None = None
    """The access-log basis for naming `named_clients` to the user (e.g. `coordinator:placement`)."""
    role: str | None = None


def record_data(row: Notification) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "kind": row.kind,
        "title": row.title,
        "body": row.body,
        "url": row.url,
        "tag": row.tag,
        "ids": row.ids,
        "revision": row.revision,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
        "read_at": row.read_at.isoformat() if row.read_at else None,
    }


def publish(changes: ChangeSet, row: Notification) -> None:
    changes.put("notification", row.id, record_data(row), [user_scope(row.user_id)])


async def store(
    session: AsyncSession, changes: ChangeSet, drafts: Sequence[Draft], now: datetime
) -> list[Notification]:
    """Upsert the drafts; returns the notifications that got a new revision (and so new deliveries)."""
    if not drafts:
        return []
    ids = [notification_id(d.user_id, d.key) for d in drafts]
    await _take_turns(session, ids)
    existing = {
        n.id: n
        for n in (
            await session.execute(
                select(Notification).where(Notification.id.in_(ids)).execution_options(populate_existing=True)
            )
        ).scalars()
    }
    changed: list[tuple[Notification, Draft]] = []
    for row_id, draft in zip(ids, drafts, strict=True):
        row = existing.get(row_id)
        if row is None:
            row = Notification(
                id=row_id,
                user_id=draft.user_id,
                key=draft.key,
                revision=1,
                created_at=now,
                **_content(draft),
                updated_at=now,
            )
            session.add(row)
        elif (row.title, row.body, row.ids, row.url) != tuple(
            _content(draft)[k] for k in ("title", "body", "ids", "url")
        ):
            for name, value in _content(draft).items():
                setattr(row, name, value)
            row.revision, row.updated_at, row.read_at = row.revision + 1, now, None
        else:
            continue
        publish(changes, row)
        changed.append((row, draft))
    if not changed:
        return []
    await session.flush()
    await _log_named_clients(session, [d for _, d in changed], now)
    await _add_deliveries(session, changed, now)
    return [row for row, _ in changed]


_LOCK_IDS = text(
    "SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT unnest(:keys) AS k ORDER BY k) AS keys"
).bindparams(bindparam("keys", type_=ARRAY(BIGINT)))


async def _take_turns(session: AsyncSession, ids: list[uuid.UUID]) -> None:
    """On PostgreSQL, runs storing the same notification at once (a job asked for twice, by its trigger
    and by a scan, and run by two workers) take turns, until the commit: the second then reads the first's
    row and finds nothing new, instead of inserting it again. SQLite's write lock already serialises them."""
    if session.bind.dialect.name != "postgresql":
        return
    keys = sorted({int.from_bytes(i.bytes[:8], "big", signed=True) for i in ids})
    await session.execute(_LOCK_IDS, {"keys": keys})


def _content(draft: Draft) -> dict[str, Any]:
    return {
        "kind": draft.kind,
        "title": draft.title,
        "body": draft.body,
        "url": draft.url,
        "tag": draft.tag,
        # The clients it names travel with it, so each later read of the inbox is logged too.
        "ids": {**draft.ids, "client_ids": [str(c) for c in draft.named_clients]}
        if draft.named_clients
        else draft.ids,
        "urgency": draft.urgency,
        "ttl": draft.ttl,
        "topic": draft.topic,
    }


async def _log_named_clients(session: AsyncSession, drafts: list[Draft], now: datetime) -> None:
    """Naming a client to a user (by initials) is a disclosure of client data: one entry per client and
    recipient, all in one append to the chain."""
    await record_each(
        session,
        [
            (
                Actor(draft.user_id, draft.username, draft.role, None),
                Access(
                    "notification",
                    "notify",
                    draft.basis or "notification",
                    client_id=c,
                    record_id=str(notification_id(draft.user_id, draft.key)),
                ),
            )
            for draft in drafts
            for c in draft.named_clients
        ],
        at=now,
    )


async def _add_deliveries(
    session: AsyncSession, changed: list[tuple[Notification, Draft]], now: datetime
) -> None:
    users = {row.user_id for row, _ in changed}
    subscriptions: dict[uuid.UUID, list[PushSubscription]] = defaultdict(list)
    for sub in (
        await session.execute(select(PushSubscription).where(PushSubscription.user_id.in_(users)))
    ).scalars():
        subscriptions[sub.user_id].append(sub)
    quiet = {
        s.user_id: (s.quiet_start, s.quiet_end)
        for s in (
            await session.execute(select(NotificationSettings).where(NotificationSettings.user_id.in_(users)))
        ).scalars()
    }
    rows = []
    for row, draft in changed:
        until = held_until(now, *quiet.get(row.user_id, (None, None)))
        for sub in subscriptions[row.user_id]:
            if draft.audience.wants(sub):
                rows.append(
                    {
                        "id": uuid.uuid4(),
                        "notification_id": row.id,
                        "revision": row.revision,
                        "subscription_id": sub.id,
                        "origin": origin_of(sub.endpoint),
                        "status": "held" if until else "pending",
                        "not_before": until or now,
                        "attempts": 0,
                        "created_at": now,
                    }
                )
    if rows:
        # One statement run for every row (executemany): compiled once, not once per batch of VALUES.
        insert = dialect_insert(session, PushDelivery.__table__).on_conflict_do_nothing(
            index_elements=["notification_id", "revision", "subscription_id"]
        )
        await (await session.connection()).execute(insert, rows)
