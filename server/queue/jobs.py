"""Jobs of the queue: expiring place offers (run by a job later; idempotent, arq may run it twice).

`expire_offers(session, now)` takes every `open` offer whose `expires_at` has passed, under its unit's
capacity lock (the units in ascending id, like every places mutation, so it cannot deadlock with a push), marks it `expired`, puts its queue entry back to `waiting`, republishes the offer, the queue
and the unit's free places (the held place is free again) and commits. An offer already expired, accepted or
declined is left alone, so a second run (or a concurrent one) changes nothing. The caller pokes devices
(the returned change set's `touched_scopes`).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.clock import today_in_finland
from server.db import begin_write
from server.places.capacity import load_state, lock_units, publish_free_places
from server.queue.models import Offer, QueueEntry
from server.queue.sync import publish_offer, publish_queue
from server.sync.changes import ChangeSet


async def expire_offers(session: AsyncSession, now: datetime) -> tuple[list[uuid.UUID], ChangeSet]:
    """Expire every open offer past its `expires_at`, exactly once; returns their ids and the changes."""
    changes = ChangeSet()
    await begin_write(session)
    due = (
        await session.execute(
            select(Offer.id, Offer.unit_id)
            .where(Offer.status == "open", Offer.expires_at <= now)
            .order_by(Offer.unit_id, Offer.id)
        )
    ).all()
    expired: list[uuid.UUID] = []
    today = today_in_finland(now)
    units = await lock_units(session, [unit_id for _, unit_id in due])
    for offer_id, unit_id in due:
        unit = units.get(unit_id)
        offer = await session.get(Offer, offer_id, populate_existing=True)
        if unit is None or offer is None or offer.status != "open" or offer.expires_at > now:
            continue
        offer.status, offer.decided_at = "expired", now
        entry = await session.get(QueueEntry, offer.queue_entry_id, populate_existing=True)
        if entry is not None and entry.status == "offered":
            entry.status = "waiting"
        await session.flush()
        publish_free_places(changes, await load_state(session, unit), today)
        publish_offer(changes, offer)
        if entry is not None:
            await publish_queue(session, changes, entry.service_kind, entry.area_id, today)
        expired.append(offer.id)
    await changes.flush(session)
    await session.commit()
    return expired, changes
