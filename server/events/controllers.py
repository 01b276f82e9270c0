"""Routes: reading events. Named participants are client data: each one shown is logged.

- `GET /api/events?area_id=&from=&to=&limit=` — events of the caller's areas held from..to (dates);
- `GET /api/events/{event_id}` — one event.

Counsellors and supervisors of the event's area (and region-wide ones) may read. Every named participant of a
listed event writes one access-log entry (basis `guidance:area:{area_id}`) in the same transaction.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date
from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.params import FromPath, FromQuery, QueryParameter
from sqlalchemy import select

from server.access_log import service as access_log
from server.accounts.guidance import guidance_areas, guidance_role, require_area
from server.db import begin_write
from server.deps import CurrentPrincipal, DbSession
from server.errors import NotFound
from server.events.models import Event, EventParticipant
from server.events.mutations import event_data


class EventList(msgspec.Struct):
    events: list[dict]


async def _shown(session, principal, rows: list[Event]) -> list[dict]:
    """The events' data with their participants; one access-log entry per participant shown."""
    named: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    if rows:
        query = select(EventParticipant.event_id, EventParticipant.client_id).where(
            EventParticipant.event_id.in_([r.id for r in rows])
        )
        for event_id, client_id in await session.execute(query):
            named[event_id].append(client_id)
    await access_log.record(
        session,
        principal.actor(guidance_role(principal)),
        [
            access_log.Access(
                "event", "read", f"guidance:area:{r.area_id}", client_id=client_id, record_id=str(r.id)
            )
            for r in rows
            for client_id in sorted(named[r.id])
        ],
    )
    return [event_data(r, sorted(named[r.id])) for r in rows]


class EventsController(Controller):
    path = "/api/events"
    tags = ["guidance"]

    @get("/", operation_id="listEvents")
    async def list_events(
        self,
        principal: CurrentPrincipal,
        db_session: DbSession,
        area_id: FromQuery[uuid.UUID | None] = None,
        start: Annotated[date | None, QueryParameter(name="from")] = None,
        end: Annotated[date | None, QueryParameter(name="to")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
    ) -> EventList:
        """Events of the caller's areas, newest first. Named participants are logged."""
        areas = guidance_areas(principal, admins=False)
        require_area(areas, area_id)
        await begin_write(db_session)
        query = select(Event).order_by(Event.held_on.desc(), Event.id).limit(limit)
        if area_id is not None:
            query = query.where(Event.area_id == area_id)
        elif areas is not None:
            query = query.where(Event.area_id.in_(areas))
        if start is not None:
            query = query.where(Event.held_on >= start)
        if end is not None:
            query = query.where(Event.held_on <= end)
        rows = list((await db_session.execute(query)).scalars())
        return EventList(await _shown(db_session, principal, rows))

    @get("/{event_id:uuid}", operation_id="getEvent")
    async def get_event(
        self, event_id: FromPath[uuid.UUID], principal: CurrentPrincipal, db_session: DbSession
    ) -> dict:
        """One event of the caller's areas, with its named participants (logged)."""
        areas = guidance_areas(principal, admins=False)
        await begin_write(db_session)
        row = await db_session.get(Event, event_id)
        if row is None:
            raise NotFound("No such event.")
        require_area(areas, row.area_id)
        return (await _shown(db_session, principal, [row]))[0]
