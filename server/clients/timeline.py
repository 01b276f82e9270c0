"""The client 360 view: everything that happened with one client, on one timeline, newest first.

Two kinds of sections:

- **guidance**: contacts, event participations, assessments (PTA, with each step), RAI results,
  applications, referrals, queue entries and offers;
- **care**: short-term stays, 24h residencies and day-activity attendance.

What a reader sees follows their basis (`server.clients.access`): a counsellor with a guidance or
responsible-counsellor basis sees the guidance sections; unit staff see the care sections of their own
units. A `cross_service_summary` consent in force opens every section to any of them — and is itself a
basis for a counsellor of any area. What was left out is named in `withheld`, never silently dropped.

Events belong to the events domain; their tables are read through the shared metadata, so this view keeps
working while that domain changes.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.applications.models import Application
from server.assessments.models import Assessment, AssessmentStep, RaiAssessment
from server.attendance.models import Attendance
from server.clock import FINLAND
from server.contacts.models import Contact
from server.db import Base
from server.places.models import Residency, Stay
from server.queue.models import Offer, QueueEntry, Referral

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


def _day(moment: datetime) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(FINLAND).date()


def _plain(value: Any) -> Any:
    if isinstance(value, (date, datetime, uuid.UUID)):
        return str(value) if isinstance(value, uuid.UUID) else value.isoformat()
    return value


def _details(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: _plain(getattr(row, name)) for name in names}


async def _rows(session: AsyncSession, model: Any, client_id: uuid.UUID) -> list[Any]:
    return list((await session.execute(select(model).where(model.client_id == client_id))).scalars())


async def guidance_items(session: AsyncSession, client_id: uuid.UUID) -> list[TimelineItem]:
    items: list[TimelineItem] = []
    for c in await _rows(session, Contact, client_id):
        items.append(
            TimelineItem(
                _day(c.occurred_at),
                "contact",
                str(c.id),
                f"contact by {c.channel}: {c.resolution}",
                _details(
                    c,
                    ("occurred_at", "channel", "caller_type", "contact_type", "topics", "resolution", "note"),
                )
                | {"counsellor_id": str(c.counsellor_id)},
                area_id=c.area_id,
            )
        )
    items += await _event_items(session, client_id)
    assessments = await _rows(session, Assessment, client_id)
    for a in assessments:
        items.append(
            TimelineItem(
                a.contact_on,
                "assessment",
                str(a.id),
                f"service-needs assessment: {a.status}",
                _details(
                    a,
                    (
                        "status",
                        "urgent",
                        "rule",
                        "deadline",
                        "started_on",
                        "decided_on",
                        "decision",
                        "service_kind",
                        "referral_id",
                        "service_started_on",
                        "closed_on",
                        "close_reason",
                        "counsellor_id",
                    ),
                ),
                area_id=a.area_id,
            )
        )
    if assessments:
        steps = (
            await session.execute(
                select(AssessmentStep).where(AssessmentStep.assessment_id.in_([a.id for a in assessments]))
            )
        ).scalars()
        for s in steps:
            items.append(
                TimelineItem(
                    s.on,
                    "assessment_step",
                    str(s.id),
                    f"assessment {s.from_status or 'opened'} → {s.to_status}",
                    _details(s, ("assessment_id", "from_status", "to_status", "at", "by", "note")),
                )
            )
    for r in await _rows(session, RaiAssessment, client_id):
        items.append(
            TimelineItem(
                r.assessed_on,
                "rai_assessment",
                str(r.id),
                f"{r.instrument} {'full' if r.full else 'screening'}{' (locked)' if r.locked_at else ''}",
                _details(r, ("assessment_id", "instrument", "full", "maple", "cps", "adl_h", "locked_at")),
            )
        )
    for p in await _rows(session, Application, client_id):
        items.append(
            TimelineItem(
                p.received_on,
                "application",
                str(p.id),
                f"application for {p.service}: {p.status}",
                _details(p, ("service", "status", "handler_id", "decision", "decided_on", "withdrawn_on")),
                area_id=p.area_id,
            )
        )
    for r in await _rows(session, Referral, client_id):
        items.append(
            TimelineItem(
                _day(r.received_at),
                "referral",
                str(r.id),
                f"referral to {r.service_kind} ({r.urgency})",
                _details(r, ("service_kind", "urgency", "source", "status", "maple", "cps", "adl_h")),
                area_id=r.area_id,
            )
        )
    for q in await _rows(session, QueueEntry, client_id):
        items.append(
            TimelineItem(
                q.entered_at,
                "queue_entry",
                str(q.id),
                f"in the {q.service_kind} queue: {q.status}",
                _details(q, ("referral_id", "service_kind", "status")),
                area_id=q.area_id,
            )
        )
    for o in await _rows(session, Offer, client_id):
        items.append(
            TimelineItem(
                _day(o.created_at),
                "offer",
                str(o.id),
                f"place offered from {o.start_date}: {o.status}",
                _details(
                    o, ("queue_entry_id", "start_date", "end_date", "status", "expires_at", "decided_at")
                ),
                unit_id=o.unit_id,
            )
        )
    return items


async def _event_items(session: AsyncSession, client_id: uuid.UUID) -> list[TimelineItem]:
    """Event participations, read through the metadata of the events domain (if it is installed)."""
    participants = Base.metadata.tables.get("event_participants")
    events = Base.metadata.tables.get("events")
    if participants is None or events is None or "held_on" not in events.c:
        return []
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
                {k: _plain(row[k]) for k in ("kind", "title", "place") if k in row},
                area_id=row.get("area_id"),
            )
        )
    return items


async def care_items(
    session: AsyncSession, client_id: uuid.UUID, units: set[uuid.UUID] | None
) -> list[TimelineItem]:
    """Stays, residencies and attendance; only of `units` unless None (every unit)."""
    items: list[TimelineItem] = []

    def shown(unit_id: uuid.UUID) -> bool:
        return units is None or unit_id in units

    for s in await _rows(session, Stay, client_id):
        if shown(s.unit_id):
            items.append(
                TimelineItem(
                    s.start_date,
                    "stay",
                    str(s.id),
                    f"short-term care {s.start_date}..{s.end_date}: {s.status}",
                    _details(s, ("start_date", "end_date", "status", "series_id")),
                    unit_id=s.unit_id,
                )
            )
    for r in await _rows(session, Residency, client_id):
        if shown(r.unit_id):
            items.append(
                TimelineItem(
                    r.move_in,
                    "residency",
                    str(r.id),
                    f"24h care from {r.move_in}" + (f" to {r.move_out}" if r.move_out else ""),
                    _details(r, ("move_in", "move_out")),
                    unit_id=r.unit_id,
                )
            )
    for a in await _rows(session, Attendance, client_id):
        if shown(a.unit_id):
            state = f"absent ({a.absent_reason})" if a.absent_reason else "present"
            items.append(
                TimelineItem(
                    a.date,
                    "attendance",
                    str(a.id),
                    f"day activity: {state}",
                    _details(a, ("checked_in_at", "checked_out_at", "absent_reason")),
                    unit_id=a.unit_id,
                )
            )
    return items


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
    if guidance:
        items += await guidance_items(session, client_id)
    if care_units is not False:
        items += await care_items(session, client_id, care_units if care_units is not True else None)
    if start is not None:
        items = [i for i in items if i.on >= start]
    if end is not None:
        items = [i for i in items if i.on <= end]
    items.sort(key=_sort_key, reverse=True)
    return items
