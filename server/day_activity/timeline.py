"""The client's day-activity attendance on the 360 view (`server.clients.timeline`)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from server.clients.timeline import TimelineItem, TimelineSource, details_of, rows_of
from server.day_activity.models import Attendance


async def attendance_items(session: AsyncSession, client_id: uuid.UUID) -> list[TimelineItem]:
    items: list[TimelineItem] = []
    for a in await rows_of(session, Attendance, client_id):
        state = f"absent ({a.absent_reason})" if a.absent_reason else "present"
        items.append(
            TimelineItem(
                a.date,
                "attendance",
                str(a.id),
                f"day activity: {state}",
                details_of(a, ("checked_in_at", "checked_out_at", "absent_reason")),
                unit_id=a.unit_id,
            )
        )
    return items


ATTENDANCE = TimelineSource("care", attendance_items)
