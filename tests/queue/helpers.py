"""Shared helpers for the queue tests: referrals and offers through the reference client."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from server.queue.models import Offer, QueueEntry, Referral, queue_entry_id
from server.reference.models import reference_id
from tests.places.helpers import STC, day

OULU = reference_id("area", "oulu")


def outcome(sync, pending):
    return next((o for o in sync.outcomes() if o.id == pending.id), None)


async def refer(sync, client_id: str, *, days_ago: int = 0, **extra: Any):
    """Queue a `referral.create`; returns (pending mutation, queue entry id)."""
    referral_id = uuid.uuid4()
    args = {
        "referral_id": str(referral_id),
        "client_id": client_id,
        "service_kind": "short_term_care",
        "area_id": str(OULU),
        "urgency": "normal",
        "received_at": (datetime.now(UTC) - timedelta(days=days_ago)).isoformat(),
        "source": "counsellor",
        **extra,
    }
    return await sync.mutate("referral.create", args), str(queue_entry_id(referral_id))


async def offer(sync, entry_id: str, start: int, end: int | None, unit=STC, **extra: Any):
    args = {
        "offer_id": str(uuid.uuid4()),
        "queue_entry_id": entry_id,
        "unit_id": str(unit),
        "start_date": day(start),
        "end_date": day(end) if end is not None else None,
        **extra,
    }
    return await sync.mutate("placement.offer", args)


async def without_demo_queue(db: AsyncSession) -> None:
    """Empty the queues of the demo county, for tests that count every entry of a queue they fill."""
    for model in (Offer, QueueEntry, Referral):
        await db.execute(delete(model))
    await db.commit()
