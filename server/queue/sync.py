"""How referrals, queue entries and offers appear to devices, and republishing a queue's order.

- `referral`: scopes `places` (coordinators) and `area:{area_id}` (the area's counsellors);
- `queue_entry`: the same scopes; `rank`, `reasons`, `days_waiting` are computed by `server.queue.ranking`
  over the whole queue, so a change to one entry republishes every active entry of its queue (the change
  set skips the ones whose data did not change). Days waiting grow every day: `refresh_queues` republishes
  every queue (once a day, from a job, like `server.places.capacity.refresh_all`);
- `offer`: scope `places` only.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.scopes import PLACES, area_scope
from server.queue.models import ACTIVE_ENTRY_STATUSES, Offer, QueueEntry, Referral
from server.queue.ranking import Candidate, Ranked, rank
from server.sync.changes import ChangeSet


def queue_scopes(area_id: uuid.UUID) -> list[str]:
    return [PLACES, area_scope(area_id)]


def referral_data(referral: Referral) -> dict[str, Any]:
    return {
        "id": str(referral.id),
        "client_id": str(referral.client_id),
        "service_kind": referral.service_kind,
        "area_id": str(referral.area_id),
        "urgency": referral.urgency,
        "received_at": referral.received_at.isoformat(),
        "source": referral.source,
        "maple": referral.maple,
        "cps": referral.cps,
        "adl_h": referral.adl_h,
        "area_preference": list(referral.area_preference or []),
        "status": referral.status,
    }


def entry_data(entry: QueueEntry, ranked: Ranked | None, offer_id: uuid.UUID | None) -> dict[str, Any]:
    return {
        "id": str(entry.id),
        "referral_id": str(entry.referral_id),
        "client_id": str(entry.client_id),
        "service_kind": entry.service_kind,
        "area_id": str(entry.area_id),
        "entered_at": entry.entered_at.isoformat(),
        "status": entry.status,
        "offer_id": str(offer_id) if offer_id else None,
        "days_waiting": ranked.days_waiting if ranked else None,
        "rank": ranked.rank if ranked else None,
        "reasons": ranked.reasons if ranked else [],
    }


def offer_data(offer: Offer) -> dict[str, Any]:
    return {
        "id": str(offer.id),
        "queue_entry_id": str(offer.queue_entry_id),
        "client_id": str(offer.client_id),
        "unit_id": str(offer.unit_id),
        "start_date": offer.start_date.isoformat(),
        "end_date": offer.end_date.isoformat() if offer.end_date else None,
        "expires_at": offer.expires_at.isoformat(),
        "status": offer.status,
        "decline_reason": offer.decline_reason,
        "placement_id": str(offer.placement_id) if offer.placement_id else None,
    }


def publish_offer(changes: ChangeSet, offer: Offer) -> None:
    changes.put("offer", offer.id, offer_data(offer), [PLACES])


def candidate(entry: QueueEntry, referral: Referral) -> Candidate:
    return Candidate(
        entry.id,
        referral.urgency == "urgent",
        referral.maple,
        entry.entered_at,
        tuple(str(a) for a in referral.area_preference or []),
        referral.received_at,
    )


async def ranked_queue(
    session: AsyncSession, service_kind: str, area_id: uuid.UUID, today: date
) -> list[tuple[QueueEntry, Referral, Ranked]]:
    """The active entries of one queue in rank order, with their referrals."""
    rows = (
        await session.execute(
            select(QueueEntry, Referral)
            .join(Referral, Referral.id == QueueEntry.referral_id)
            .where(
                QueueEntry.service_kind == service_kind,
                QueueEntry.area_id == area_id,
                QueueEntry.status.in_(ACTIVE_ENTRY_STATUSES),
            )
            .execution_options(populate_existing=True)
        )
    ).all()
    by_id = {entry.id: (entry, referral) for entry, referral in rows}
    ranked = rank([candidate(e, r) for e, r in by_id.values()], today, area_id)
    return [(*by_id[r.entry_id], r) for r in ranked]


async def open_offers(session: AsyncSession, entry_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    if not entry_ids:
        return {}
    rows = await session.execute(
        select(Offer.queue_entry_id, Offer.id).where(
            Offer.queue_entry_id.in_(entry_ids), Offer.status == "open"
        )
    )
    return dict(rows.all())


async def publish_queue(
    session: AsyncSession,
    changes: ChangeSet,
    service_kind: str,
    area_id: uuid.UUID,
    today: date,
    also: tuple[QueueEntry, ...] = (),
) -> None:
    """Republish every active entry of the queue with its rank, and `also` entries that just left it."""
    await session.flush()
    queue = await ranked_queue(session, service_kind, area_id, today)
    offers = await open_offers(session, [e.id for e, _, _ in queue])
    for entry, _, ranked in queue:
        changes.put(
            "queue_entry", entry.id, entry_data(entry, ranked, offers.get(entry.id)), queue_scopes(area_id)
        )
    active = {e.id for e, _, _ in queue}
    for entry in also:
        if entry.id not in active:
            changes.put("queue_entry", entry.id, entry_data(entry, None, None), queue_scopes(entry.area_id))


async def refresh_queues(session: AsyncSession, changes: ChangeSet, today: date) -> None:
    """Republish every queue (days waiting move on every day)."""
    keys = await session.execute(
        select(QueueEntry.service_kind, QueueEntry.area_id)
        .where(QueueEntry.status.in_(ACTIVE_ENTRY_STATUSES))
        .distinct()
    )
    for service_kind, area_id in keys.all():
        await publish_queue(session, changes, service_kind, area_id, today)
