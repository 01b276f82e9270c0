"""Event mutations: `event.record`, `event.update`, `event.add_participant`, `event.remove_participant`.

- `event.record`: the author must hold `area:{area_id}` (a counsellor of the area); `kind` must be active in
  `event.kind`, every topic in `contact.topics`; the service point, if any, must be of the area. The author
  is the organiser. Append-only like a contact: the same `event_id` with the same content is a no-op, with
  other content `duplicate`.
- `event.update`: a counsellor of the event's area changes any of `EDITABLE_FIELDS` (last writer wins);
  the count can never drop below the named participants (`invalid_args`).
- `event.add_participant` / `event.remove_participant`: a client named as a participant (idempotent both
  ways). Naming a client gives the area a guidance relationship to them (`client_areas`), publishes the
  client into `area:{area_id}`, raises `participant_count` if more are named than counted, and is written to
  the access log, like the removal.

Events are published as `event` in `area:{area_id}` and `user:{organiser_id}`, with the named participants'
client ids in `participants`.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated

import msgspec
from sqlalchemy import select

from server.access_log.service import Access
from server.accounts.guidance import guidance_role
from server.accounts.scopes import area_scope, user_scope
from server.clients.models import Client
from server.clients.sync import publish_client, remember_area
from server.clock import today_in_finland
from server.events.models import EDITABLE_FIELDS, Event, EventParticipant
from server.reference.codes import require_code
from server.reference.models import ServicePoint
from server.sync import authorisation as auth
from server.sync.changes import to_data
from server.sync.mutations import MutationContext, mutation

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Text200 = Annotated[str, msgspec.Meta(max_length=200)]
Topics = Annotated[list[Code], msgspec.Meta(max_length=20)]
Count = Annotated[int, msgspec.Meta(ge=0, le=100_000)]
Note = Annotated[str, msgspec.Meta(max_length=10_000)]
MAX_DAYS_AHEAD = 366  # an event may be recorded ahead of time, up to a year


class RecordEvent(msgspec.Struct, forbid_unknown_fields=True):
    event_id: uuid.UUID
    kind: Code
    title: Title
    held_on: date
    area_id: uuid.UUID
    participant_count: Count
    topics: Topics = []
    service_point_id: uuid.UUID | None = None
    place: Text200 | None = None
    organiser_name: Text200 | None = None
    note: Note | None = None


class EventChanges(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    kind: Code | msgspec.UnsetType = msgspec.UNSET
    title: Title | msgspec.UnsetType = msgspec.UNSET
    topics: Topics | msgspec.UnsetType = msgspec.UNSET
    held_on: date | msgspec.UnsetType = msgspec.UNSET
    service_point_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    place: Text200 | msgspec.UnsetType | None = msgspec.UNSET
    organiser_name: Text200 | msgspec.UnsetType | None = msgspec.UNSET
    participant_count: Count | msgspec.UnsetType = msgspec.UNSET
    note: Note | msgspec.UnsetType | None = msgspec.UNSET


class UpdateEvent(msgspec.Struct, forbid_unknown_fields=True):
    event_id: uuid.UUID
    changes: EventChanges


class Participant(msgspec.Struct, forbid_unknown_fields=True):
    event_id: uuid.UUID
    client_id: uuid.UUID


async def participant_ids(session, event_id: uuid.UUID) -> list[uuid.UUID]:
    query = select(EventParticipant.client_id).where(EventParticipant.event_id == event_id)
    return sorted((await session.execute(query)).scalars())


def event_data(row: Event, participants: list[uuid.UUID]) -> dict:
    return {
        "id": str(row.id),
        "kind": row.kind,
        "title": row.title,
        "topics": list(row.topics),
        "held_on": row.held_on.isoformat(),
        "month": row.month,
        "area_id": str(row.area_id),
        "service_point_id": str(row.service_point_id) if row.service_point_id else None,
        "place": row.place,
        "organiser_id": str(row.organiser_id),
        "organiser_name": row.organiser_name,
        "participant_count": row.participant_count,
        "participants": [str(p) for p in participants],
        "note": row.note,
        "revision": row.revision,
        "created_at": to_data(row.created_at),
        "updated_at": to_data(row.updated_at),
        "updated_by": str(row.updated_by),
    }


def event_scopes(row: Event) -> set[str]:
    return {area_scope(row.area_id), user_scope(row.organiser_id)}


async def publish_event(ctx: MutationContext, row: Event) -> None:
    participants = await participant_ids(ctx.session, row.id)
    ctx.changes.put("event", row.id, event_data(row, participants), event_scopes(row))


async def _check_fields(ctx: MutationContext, area_id: uuid.UUID, fields: dict) -> None:
    if "kind" in fields:
        await require_code(ctx, "event.kind", fields["kind"])
    if fields.get("topics"):
        await require_code(ctx, "contact.topics", fields["topics"])
        if len(set(fields["topics"])) != len(fields["topics"]):
            ctx.reject("invalid_args", "A topic is listed twice.", {"topics": fields["topics"]})
    if "held_on" in fields and fields["held_on"] > today_in_finland(ctx.now) + timedelta(days=MAX_DAYS_AHEAD):
        ctx.reject(
            "invalid_date", "An event is recorded at most a year ahead.", {"held_on": str(fields["held_on"])}
        )
    point_id = fields.get("service_point_id")
    if point_id is not None:
        point = await ctx.session.get(ServicePoint, point_id)
        if point is None or point.area_id != area_id:
            ctx.reject(
                "unknown_entity", "No such service point in this area.", {"service_point_id": str(point_id)}
            )


async def _event(ctx: MutationContext, event_id: uuid.UUID) -> Event:
    row = await ctx.session.get(Event, event_id, with_for_update=True)
    if row is None:
        ctx.reject("unknown_entity", "No such event.", {"event_id": str(event_id)})
    ctx.require_scope(area_scope(row.area_id))
    return row


def _touch(ctx: MutationContext, row: Event) -> None:
    row.revision, row.updated_at, row.updated_by = row.revision + 1, ctx.now, ctx.user_id


# Every check comes before the first write, and the row is appended with the batch's (`ctx.append`).
@mutation(
    "event.record",
    args=RecordEvent,
    touches=lambda a: (auth.Area(a.area_id),),
    savepoint=False,
    loads={"event_id": Event},
)
async def record(ctx: MutationContext, args: RecordEvent) -> dict:
    """Record a guidance event or info session of the author's area; the author organises it."""
    ctx.require_scope(area_scope(args.area_id))
    fields = {name: getattr(args, name) for name in EDITABLE_FIELDS}
    await _check_fields(ctx, args.area_id, fields)
    existing = await ctx.get(Event, args.event_id)
    if existing is not None:
        ctx.require_replay(existing, args, (*EDITABLE_FIELDS, "area_id"), "An event")
        return {"event_id": str(existing.id), "created": False}
    row = Event(
        id=args.event_id,
        area_id=args.area_id,
        month=args.held_on.strftime("%Y-%m"),
        organiser_id=ctx.user_id,
        revision=1,
        created_at=ctx.now,
        updated_at=ctx.now,
        updated_by=ctx.user_id,
        **{**fields, "topics": list(args.topics)},
    )
    ctx.append(row)
    ctx.changes.put("event", row.id, event_data(row, []), event_scopes(row))
    return {"event_id": str(row.id), "created": True}


@mutation("event.update", args=UpdateEvent, touches=lambda a: ())
async def update(ctx: MutationContext, args: UpdateEvent) -> dict:
    """Change an event's details (last writer wins); the area and the organiser stay."""
    row = await _event(ctx, args.event_id)
    changes = {k: v for k, v in msgspec.structs.asdict(args.changes).items() if v is not msgspec.UNSET}
    await _check_fields(ctx, row.area_id, changes)
    named = len(await participant_ids(ctx.session, row.id))
    if changes.get("participant_count", named) < named:
        ctx.reject(
            "invalid_args",
            "The participant count cannot be below the number of named participants.",
            {"named": named},
        )
    updates = {k: v for k, v in changes.items() if getattr(row, k) != v}
    if not updates:
        return {"event_id": str(row.id), "revision": row.revision, "applied": []}
    for name, value in updates.items():
        setattr(row, name, list(value) if name == "topics" else value)
    if "held_on" in updates:
        row.month = row.held_on.strftime("%Y-%m")
    _touch(ctx, row)
    await ctx.session.flush()
    await publish_event(ctx, row)
    return {"event_id": str(row.id), "revision": row.revision, "applied": sorted(updates)}


async def _log(ctx: MutationContext, row: Event, client_id: uuid.UUID, operation: str) -> None:
    await ctx.log_access(
        guidance_role(ctx.author),
        [
            Access(
                "event", operation, f"guidance:area:{row.area_id}", client_id=client_id, record_id=str(row.id)
            )
        ],
    )


@mutation("event.add_participant", args=Participant, touches=lambda a: (auth.Client(a.client_id),))
async def add_participant(ctx: MutationContext, args: Participant) -> dict:
    """Name a client as a participant; the count rises if more are named than counted."""
    row = await _event(ctx, args.event_id)
    client = await ctx.session.get(Client, args.client_id)
    if client is None:
        ctx.reject("unknown_entity", "No such client.", {"client_id": str(args.client_id)})
    if await ctx.session.get(EventParticipant, (row.id, client.id)) is not None:
        return {"event_id": str(row.id), "added": False}
    ctx.session.add(
        EventParticipant(event_id=row.id, client_id=client.id, added_at=ctx.now, added_by=ctx.user_id)
    )
    await ctx.session.flush()
    named = len(await participant_ids(ctx.session, row.id))
    row.participant_count = max(row.participant_count, named)
    _touch(ctx, row)
    await ctx.session.flush()
    await publish_event(ctx, row)
    await remember_area(ctx.session, client.id, row.area_id)
    await publish_client(ctx.session, ctx.changes, client)
    await _log(ctx, row, client.id, "add_participant")
    return {"event_id": str(row.id), "added": True, "participant_count": row.participant_count}


@mutation("event.remove_participant", args=Participant, touches=lambda a: (auth.Client(a.client_id),))
async def remove_participant(ctx: MutationContext, args: Participant) -> dict:
    """Take a client off the named participants (the count stays: they may still have been there)."""
    row = await _event(ctx, args.event_id)
    named = await ctx.session.get(EventParticipant, (row.id, args.client_id))
    if named is None:
        return {"event_id": str(row.id), "removed": False}
    await ctx.session.delete(named)
    _touch(ctx, row)
    await ctx.session.flush()
    await publish_event(ctx, row)
    await _log(ctx, row, args.client_id, "remove_participant")
    return {"event_id": str(row.id), "removed": True}
