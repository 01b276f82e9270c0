"""Contact mutations: `contact.record` and `contact.link_client`.

- `contact.record`: the author must hold `area:{area_id}`; every code must be active in its list
  (`contact.channel`, `contact.caller_type`, `contact.contact_type`, `contact.topics`,
  `contact.resolution`); the area, service point (of that area) and client must exist; `follow_up` says
  the contact continues a matter raised before (so it is not a first contact). Append-only: the same
  `contact_id` again with the same content (and author) is applied as a no-op; with other content it is
  rejected `duplicate`.
- `contact.link_client`: the author must hold the contact's area scope; the statistics fields never change;
  linking to the same client again is a no-op, to another client is rejected `already_linked`.

A contact with a client gives the contact's area a guidance relationship to the client (`client_areas`):
the client record is re-published into `area:{area_id}`. Contacts are published as `contact` in
`area:{area_id}` and `user:{counsellor_id}`. Contacts naming a client are written to the access log.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated

import msgspec

from server.access_log.service import Access
from server.accounts.guidance import guidance_role
from server.accounts.scopes import area_scope, user_scope
from server.clients.models import Client
from server.clients.sync import publish_client, remember_area
from server.clock import date_in_finland
from server.contacts.models import Contact, ContactTopic
from server.reference.codes import require_code
from server.reference.models import Area, ServicePoint
from server.sync import authorisation as auth
from server.sync.changes import to_data
from server.sync.mutations import MutationContext, mutation

AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


class RecordContact(msgspec.Struct, forbid_unknown_fields=True):
    contact_id: uuid.UUID
    occurred_at: AwareDatetime
    channel: Code
    caller_type: Code
    contact_type: Code
    topics: Annotated[list[Code], msgspec.Meta(min_length=1, max_length=20)]
    resolution: Code
    area_id: uuid.UUID
    service_point_id: uuid.UUID | None = None
    client_id: uuid.UUID | None = None
    note: Annotated[str, msgspec.Meta(max_length=10_000)] | None = None
    duration_minutes: Annotated[int, msgspec.Meta(ge=0, le=1440)] | None = None
    follow_up: bool = False


class LinkClient(msgspec.Struct, forbid_unknown_fields=True):
    contact_id: uuid.UUID
    client_id: uuid.UUID


def contact_data(row: Contact) -> dict:
    return {
        "id": str(row.id),
        "occurred_at": to_data(row.occurred_at),
        "month": row.month,
        "follow_up": row.follow_up,
        "channel": row.channel,
        "caller_type": row.caller_type,
        "contact_type": row.contact_type,
        "topics": list(row.topics),
        "resolution": row.resolution,
        "area_id": str(row.area_id),
        "service_point_id": str(row.service_point_id) if row.service_point_id else None,
        "client_id": str(row.client_id) if row.client_id else None,
        "counsellor_id": str(row.counsellor_id),
        "note": row.note,
        "duration_minutes": row.duration_minutes,
        "created_at": to_data(row.created_at),
    }


def topic_rows(row: Contact) -> list[ContactTopic]:
    """The contact's topics with its grouping columns, for the topic statistics."""
    return [
        ContactTopic(
            contact_id=row.id,
            topic=topic,
            month=row.month,
            area_id=row.area_id,
            service_point_id=row.service_point_id,
            counsellor_id=row.counsellor_id,
        )
        for topic in row.topics
    ]


def contact_scopes(row: Contact) -> set[str]:
    return {area_scope(row.area_id), user_scope(row.counsellor_id)}


async def _attach_client(ctx: MutationContext, row: Contact, operation: str) -> None:
    """Give the area's counsellors the client, re-publish the client, log the access."""
    assert row.client_id is not None
    client = await ctx.session.get(Client, row.client_id)
    assert client is not None
    await remember_area(ctx.session, client.id, row.area_id)
    await publish_client(ctx.session, ctx.changes, client)
    await ctx.log_access(
        guidance_role(ctx.author),
        [
            Access(
                "contact",
                operation,
                f"guidance:area:{row.area_id}",
                client_id=client.id,
                record_id=str(row.id),
            )
        ],
    )


def _same(row: Contact, args: RecordContact, author: uuid.UUID) -> bool:
    return (
        row.occurred_at == args.occurred_at
        and (row.channel, row.caller_type, row.contact_type, row.resolution)
        == (args.channel, args.caller_type, args.contact_type, args.resolution)
        and list(row.topics) == list(args.topics)
        and (row.area_id, row.service_point_id, row.counsellor_id)
        == (args.area_id, args.service_point_id, author)
        and (row.note, row.duration_minutes, row.follow_up)
        == (args.note, args.duration_minutes, args.follow_up)
        # A replay of the anonymous original after the contact was linked is still the same contact.
        and (row.client_id == args.client_id or (args.client_id is None and row.linked_at is not None))
    )


# Every check comes before the first write, and the rows are appended with the batch's (`ctx.append`).
@mutation(
    "contact.record",
    args=RecordContact,
    touches=lambda a: (auth.Client(a.client_id),),
    savepoint=False,
    # Not the client: a client.create earlier in the same push makes rows the preload would not see.
    loads={"contact_id": Contact},
)
async def record(ctx: MutationContext, args: RecordContact) -> dict:
    """Record a contact (append-only); `client_id` null = anonymous."""
    ctx.require_scope(area_scope(args.area_id))
    if args.occurred_at > ctx.now + timedelta(days=1):
        ctx.reject(
            "invalid_date",
            "A contact cannot happen in the future.",
            {"occurred_at": to_data(args.occurred_at)},
        )
    await require_code(ctx, "contact.channel", args.channel)
    await require_code(ctx, "contact.caller_type", args.caller_type)
    await require_code(ctx, "contact.contact_type", args.contact_type)
    await require_code(ctx, "contact.topics", args.topics)
    await require_code(ctx, "contact.resolution", args.resolution)
    if len(set(args.topics)) != len(args.topics):
        ctx.reject("invalid_args", "A topic is listed twice.", {"topics": args.topics})
    if await ctx.session.get(Area, args.area_id) is None:
        ctx.reject("unknown_entity", "No such area.", {"area_id": str(args.area_id)})
    if args.service_point_id is not None:
        point = await ctx.session.get(ServicePoint, args.service_point_id)
        if point is None or point.area_id != args.area_id:
            ctx.reject(
                "unknown_entity",
                "No such service point in this area.",
                {"service_point_id": str(args.service_point_id)},
            )
    if args.client_id is not None and await ctx.get(Client, args.client_id) is None:
        ctx.reject("unknown_entity", "No such client.", {"client_id": str(args.client_id)})

    existing = await ctx.get(Contact, args.contact_id)
    if existing is not None:
        if _same(existing, args, ctx.user_id):
            return {"contact_id": str(existing.id), "created": False}
        ctx.reject("duplicate", "A contact with this id already exists with other content.")
    row = Contact(
        id=args.contact_id,
        occurred_at=args.occurred_at,
        month=date_in_finland(args.occurred_at).strftime("%Y-%m"),
        follow_up=args.follow_up,
        channel=args.channel,
        caller_type=args.caller_type,
        contact_type=args.contact_type,
        topics=list(args.topics),
        resolution=args.resolution,
        area_id=args.area_id,
        service_point_id=args.service_point_id,
        client_id=args.client_id,
        counsellor_id=ctx.user_id,
        note=args.note,
        duration_minutes=args.duration_minutes,
        created_at=ctx.now,
    )
    ctx.append(row, *topic_rows(row))
    ctx.changes.put("contact", row.id, contact_data(row), contact_scopes(row))
    if row.client_id is not None:
        await _attach_client(ctx, row, "create")
    return {"contact_id": str(row.id), "created": True}


@mutation(
    "contact.link_client",
    args=LinkClient,
    touches=lambda a: (auth.Client(a.client_id), auth.ClientOf("contact", a.contact_id)),
)
async def link_client(ctx: MutationContext, args: LinkClient) -> dict:
    """Link an anonymous contact to a client; the statistics fields do not change."""
    row = await ctx.session.get(Contact, args.contact_id, with_for_update=True)
    if row is None:
        ctx.reject("unknown_entity", "No such contact.", {"contact_id": str(args.contact_id)})
    ctx.require_scope(area_scope(row.area_id))
    if await ctx.session.get(Client, args.client_id) is None:
        ctx.reject("unknown_entity", "No such client.", {"client_id": str(args.client_id)})
    if row.client_id == args.client_id:
        return {"contact_id": str(row.id), "linked": False}
    if row.client_id is not None:
        ctx.reject(
            "already_linked",
            "This contact is already linked to another client.",
            {"client_id": str(row.client_id)},
        )
    row.client_id, row.linked_at, row.linked_by = args.client_id, ctx.now, ctx.user_id
    await ctx.session.flush()
    ctx.changes.put("contact", row.id, contact_data(row), contact_scopes(row))
    await _attach_client(ctx, row, "link_client")
    return {"contact_id": str(row.id), "linked": True}
