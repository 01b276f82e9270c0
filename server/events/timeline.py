"""The client's event participations on the 360 view (`server.clients.timeline`)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.clients.timeline import TimelineItem, TimelineSource, plain
from server.events.models import Event, EventParticipant


async def event_items(session: AsyncSession, client_id: uuid.UUID) -> list[TimelineItem]:
    participants, events = EventParticipant.__table__, Event.__table__
    query = (
        select(events)
        .join(participants, participants.c.event_id == events.c.id)
        .where(participants.c.client_id == client_id)
    )
    items = []
    for row in (await session.execute(query)).mappings():
        items.append(
            TimelineItem(
                row["held_on"],
                "event",
                str(row["id"]),
                f"took part in {row.get('kind', 'an event')}: {row.get('title', '')}".strip(),
                {k: plain(row[k]) for k in ("kind", "title", "place") if k in row},
                area_id=row.get("area_id"),
            )
        )
    return items


EVENTS = TimelineSource("guidance", event_items)
