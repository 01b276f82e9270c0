"""Applications per handler, per month, area and handler, with the region (suppressed like every guidance
figure: `server.assessments.statistics`).

`received` = applications received that month, counted for their handler (none yet: `handler_id` null);
`decided` = decided that month; `open_at_end` = received by the month's last day and neither decided nor
withdrawn by then.
"""

from __future__ import annotations

import uuid
from datetime import date

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.applications.models import Application
from server.assessments.statistics import Table, area_ids, check_range, level_of, user_names
from server.months import month_end


class ApplicationsRow(msgspec.Struct):
    month: str
    level: str  # handler / area / region
    area_id: uuid.UUID | None
    handler_id: uuid.UUID | None
    handler_name: str | None
    received: int | None
    decided: int | None
    open_at_end: int | None
    suppressed: list[str]


async def applications_report(session: AsyncSession, first: date, last: date) -> list[ApplicationsRow]:
    spans = check_range(first, last)
    areas, names = await area_ids(session), await user_names(session)
    rows_db = (await session.execute(select(Application))).scalars().all()
    out: list[ApplicationsRow] = []
    for month in spans:
        end = month_end(month)
        table = Table(month, areas)
        for a in rows_db:
            if month <= a.received_on <= end:
                table.add(a.area_id, a.handler_id, "received")
            if a.decided_on is not None and month <= a.decided_on <= end:
                table.add(a.area_id, a.handler_id, "decided")
            closed = a.decided_on or a.withdrawn_on
            if a.received_on <= end and (closed is None or closed > end):
                table.add(a.area_id, a.handler_id, "open_at_end")
        measures = ("received", "decided", "open_at_end")
        hidden = table.hidden(measures)
        for key in table.ordered():
            level, area, person = level_of(key, "handler")
            counts = [len(table.members[key][m]) for m in measures]
            shown = key not in hidden
            row = ApplicationsRow(
                month.strftime("%Y-%m"),
                level,
                area,
                person,
                names.get(person) if person else None,
                *(c if shown else None for c in counts),
                [] if shown else list(measures),
            )
            out.append(row)
    return out
