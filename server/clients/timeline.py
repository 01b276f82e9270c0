"""The client 360 view: everything that happened with one client, on one timeline, newest first.

Two kinds of sections:

- **guidance**: contacts, event participations, assessments (PTA, with each step), RAI results,
  applications, referrals, queue entries and offers;
- **care**: short-term stays, 24h residencies and day-activity attendance.

What a reader sees follows their basis (`server.clients.access`): a counsellor with a guidance or
responsible-counsellor basis sees the guidance sections; unit staff see the care sections of their own
units. A `cross_service_summary` consent in force opens every section to any of them — and is itself a
basis for a counsellor of any area. What was left out is named in `withheld`, never silently dropped.

Each domain declares what it shows here (`TimelineSource`, in its `timeline.py`, named by `Domain.timeline`):
a guidance section (contacts, events, assessments, applications, referrals, queue entries, offers) or a
care section (stays, residencies, attendance), so the client record imports none of them.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.clock import FINLAND

GUIDANCE = (
    "contact",
    "event",
    "assessment",
    "assessment_step",
    "rai_assessment",
    "application",
    "referral",
    "queue_entry",
    "offer",
)
CARE = ("stay", "residency", "attendance")


class TimelineItem(msgspec.Struct):
    on: date
    """The Finnish date the item is about (for sorting and display)."""
    kind: str
    record_id: str
    title: str
    details: dict[str, Any]
    unit_id: uuid.UUID | None = None
    area_id: uuid.UUID | None = None


def day_of(moment: datetime) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(FINLAND).date()


def plain(value: Any) -> Any:
    if isinstance(value, (date, datetime, uuid.UUID)):
        return str(value) if isinstance(value, uuid.UUID) else value.isoformat()
    return value


def details_of(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: plain(getattr(row, name)) for name in names}


async def rows_of(session: AsyncSession, model: Any, client_id: uuid.UUID) -> list[Any]:
    return list((await session.execute(select(model).where(model.client_id == client_id))).scalars())


@dataclass(frozen=True)
class TimelineSource:
    """A domain's part of the 360 view: its items about one client, in the `guidance` or `care` section."""

    section: Literal["guidance", "care"]
    items: Callable[[AsyncSession, uuid.UUID], Awaitable[list[TimelineItem]]]


_SOURCES: list[TimelineSource] = []


def declare(source: TimelineSource) -> None:
    """Add a source (the composition root does, from the domains' declarations); once each."""
    if source not in _SOURCES:
        _SOURCES.append(source)


def _sort_key(item: TimelineItem) -> tuple:
    moment = item.details.get("occurred_at") or item.details.get("at") or ""
    return (item.on, str(moment), item.kind, item.record_id)


async def build(
    session: AsyncSession,
    client_id: uuid.UUID,
    *,
    guidance: bool,
    care_units: set[uuid.UUID] | bool | None,
    start: date | None = None,
    end: date | None = None,
) -> list[TimelineItem]:
    """The items the reader may see, newest first. `care_units`: False none, None every unit, else those."""
    items: list[TimelineItem] = []
    for source in _SOURCES:
        if source.section == "guidance" and guidance:
            items += await source.items(session, client_id)
        elif source.section == "care" and care_units is not False:
            units = care_units if care_units is not True else None
            items += [
                i for i in await source.items(session, client_id) if units is None or i.unit_id in units
            ]
    if start is not None:
        items = [i for i in items if i.on >= start]
    if end is not None:
        items = [i for i in items if i.on <= end]
    items.sort(key=_sort_key, reverse=True)
    return items
