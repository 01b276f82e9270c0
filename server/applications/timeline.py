"""The client's applications on the 360 view (`server.clients.timeline`)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from server.applications.models import Application
from server.clients.timeline import TimelineItem, TimelineSource, details_of, rows_of


async def application_items(session: AsyncSession, client_id: uuid.UUID) -> list[TimelineItem]:
    items: list[TimelineItem] = []
    for p in await rows_of(session, Application, client_id):
        items.append(
            TimelineItem(
                p.received_on,
                "application",
                str(p.id),
                f"application for {p.service}: {p.status}",
                details_of(p, ("service", "status", "handler_id", "decision", "decided_on", "withdrawn_on")),
                area_id=p.area_id,
            )
        )
    return items


APPLICATIONS = TimelineSource("guidance", application_items)
