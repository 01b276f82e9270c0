"""The client's contacts on the 360 view (`server.clients.timeline`)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from server.clients.timeline import TimelineItem, TimelineSource, day_of, details_of, rows_of
from server.contacts.models import Contact


async def contact_items(session: AsyncSession, client_id: uuid.UUID) -> list[TimelineItem]:
    items: list[TimelineItem] = []
    for c in await rows_of(session, Contact, client_id):
        items.append(
            TimelineItem(
                day_of(c.occurred_at),
                "contact",
                str(c.id),
                f"contact by {c.channel}: {c.resolution}",
                details_of(
                    c,
                    ("occurred_at", "channel", "caller_type", "contact_type", "topics", "resolution", "note"),
                )
                | {"counsellor_id": str(c.counsellor_id)},
                area_id=c.area_id,
            )
        )
    return items


CONTACTS = TimelineSource("guidance", contact_items)
