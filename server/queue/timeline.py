"""The client's referrals, queue entries and place offers on the 360 view (`server.clients.timeline`)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from server.clients.timeline import TimelineItem, TimelineSource, day_of, details_of, rows_of
from server.queue.models import Offer, QueueEntry, Referral


async def queue_items(session: AsyncSession, client_id: uuid.UUID) -> list[TimelineItem]:
    items: list[TimelineItem] = []
    for r in await rows_of(session, Referral, client_id):
        items.append(
            TimelineItem(
                day_of(r.received_at),
                "referral",
                str(r.id),
                f"referral to {r.service_kind} ({r.urgency})",
                details_of(r, ("service_kind", "urgency", "source", "status", "maple", "cps", "adl_h")),
                area_id=r.area_id,
            )
        )
    for q in await rows_of(session, QueueEntry, client_id):
        items.append(
            TimelineItem(
                q.entered_at,
                "queue_entry",
                str(q.id),
                f"in the {q.service_kind} queue: {q.status}",
                details_of(q, ("referral_id", "service_kind", "status")),
                area_id=q.area_id,
            )
        )
    for o in await rows_of(session, Offer, client_id):
        items.append(
            TimelineItem(
                day_of(o.created_at),
                "offer",
                str(o.id),
                f"place offered from {o.start_date}: {o.status}",
                details_of(
                    o, ("queue_entry_id", "start_date", "end_date", "status", "expires_at", "decided_at")
                ),
                unit_id=o.unit_id,
            )
        )
    return items


QUEUE = TimelineSource("guidance", queue_items)
