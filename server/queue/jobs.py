"""Jobs of the queue: expiring place offers every minute, republishing the queues every day.

`expire_offers(session, now)` takes every `open` offer whose `expires_at` has passed, under its unit's
capacity lock (the units in ascending id, like every places mutation, so it cannot deadlock with a push), marks it `expired`, puts its queue entry back to `waiting`, republishes the offer, the queue
and the unit's free places (the held place is free again) and commits. An offer already expired, accepted or
declined is left alone, so a second run (or a concurrent one) changes nothing. The job runner pokes
devices (the returned change set's `touched_scopes`).

`republish_queues` republishes every queue once a day, because `days_waiting` (and with it the rank) grows
by one each day; the change set skips entries whose data did not change, so a second run writes nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server import signals
from server.clock import today_in_finland
from server.db import begin_write
from server.jobs.registry import NIGHTLY_RETRY, NO_RETRY, Cron, job
from server.places.capacity import load_state, lock_all_units, lock_units, publish_free_places
from server.queue.models import Offer, QueueEntry
from server.queue.sync import publish_offer, publish_queue, refresh_queues
from server.sync.changes import ChangeSet


# Every minute: an offer expires at most a minute late; a failed run is simply the next minute's work.
@job("queue.expire_offers", cron=Cron(), retry=NO_RETRY, timeout=50)
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
        await signals.publish(session, signals.PlacesFreed(unit.id, offer.start_date, offer.end_date), now)
        publish_free_places(changes, await load_state(session, unit), today)
        publish_offer(changes, offer)
        if entry is not None:
            await publish_queue(session, changes, entry.service_kind, entry.area_id, today)
        expired.append(offer.id)
    await changes.flush(session)  # the runner commits, with the row marked done
    return expired, changes


@job("queue.refresh_queues", cron=Cron(hour=0, minute=10, at_startup=True), retry=NIGHTLY_RETRY, timeout=600)
async def republish_queues(session: AsyncSession, now: datetime) -> tuple[None, ChangeSet]:
    """Republish every active queue entry with today's days waiting and rank."""
    changes = ChangeSet()
    await begin_write(session)
    # The units' capacity locks keep offers (which change a queue) out while the queues are ranked.
    await lock_all_units(session)
    await refresh_queues(session, changes, today_in_finland(now))
    await changes.flush(session)
    return None, changes
