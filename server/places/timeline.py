"""The client's short-term stays and 24h residencies on the 360 view (`server.clients.timeline`)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from server.clients.timeline import TimelineItem, TimelineSource, details_of, rows_of
from server.places.models import Residency, Stay


async def stay_items(session: AsyncSession, client_id: uuid.UUID) -> list[TimelineItem]:
    items: list[TimelineItem] = []
    for s in await rows_of(session, Stay, client_id):
        items.append(
            TimelineItem(
                s.start_date,
                "stay",
                str(s.id),
                f"short-term care {s.start_date}..{s.end_date}: {s.status}",
                details_of(s, ("start_date", "end_date", "status", "series_id")),
                unit_id=s.unit_id,
            )
        )
    for r in await rows_of(session, Residency, client_id):
        items.append(
            TimelineItem(
                r.move_in,
                "residency",
                str(r.id),
                f"24h care from {r.move_in}" + (f" to {r.move_out}" if r.move_out else ""),
                details_of(r, ("move_in", "move_out")),
                unit_id=r.unit_id,
            )
        )
    return items


STAYS = TimelineSource("care", stay_items)
