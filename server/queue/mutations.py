"""Queue mutations: `referral.create`, and the placement offers `placement.offer|accept|decline`.

- `referral.create` (protocol §8, plus optional RAI scores and preferred areas): the author must be a
  counsellor of the area (holds `area:{area_id}`) or a coordinator. Codes are checked against
  `referral.service_kind`, `referral.urgency`, `referral.source` (`invalid_code`). Creates the referral and
  its queue entry (`entered_at` = the day received, id `queue_entry_id(referral_id)`), republishes the queue
  (`referral`, `queue_entry` in `places` and `area:{area_id}`), logs the access and asks for the area's
  coordinators to be notified (`notifications.triggers`). Re-sending the same referral is a
  no-op; the same id with other content is `duplicate`.
- `placement.offer` (coordinators): a place in a unit of the entry's service kind (short-term care: with
  `end_date`; 24h housing: open-ended unless `end_date`), for a `waiting` entry. It runs under the unit's
  capacity lock; the open offer HOLDS the place (`server.places.capacity` counts open offers as occupied),
  so a full unit rejects it `capacity_exhausted` with alternatives. One open offer per entry
  (`already_offered`). Expires at `expires_at` (default now + `OFFER_HOURS`).
- `placement.accept` (coordinators, recording the client's answer): the hold becomes a `Stay` (short-term
  care) or a `Residency` (24h housing) with id `placement_id(offer_id)` — the place is not counted twice —
  and the entry and referral are `placed`. Accepting an accepted offer is a no-op.
- `placement.decline` (coordinators): the place is free again, the entry is back to `waiting`.
- Accepting or declining an offer past its `expires_at` is rejected `offer_expired` (`jobs.expire_offers`
  releases the place).
- Dates are Finnish dates (`server.clock`): "in the past" means before today in Finland, and a referral
  received at 23:30 Finnish time on the 3rd entered the queue on the 3rd.
- Lock order: the `placement.*` mutations of a push batch lock their units in ascending unit id before the
  first one runs (`server.places.mutations.prepare_unit_locks`).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Annotated

import msgspec

from server import signals
from server.access_log.service import Access
from server.accounts.guidance import guidance_role
from server.accounts.scopes import PLACES, area_scope
from server.clients.models import Client
from server.clients.sync import publish_client, remember_area
from server.clock import date_in_finland, today_in_finland
from server.places.models import Residency, Stay
from server.places.mutations import (
    Reason,
    check_and_publish,
    lock_units_in_args,
    locked_unit,
    prepare_unit_locks,
    record_scopes,
    require_period,
    residency_data,
    serve_client,
    stay_data,
    units_of_rows,
)
from server.queue.models import Offer, QueueEntry, Referral, placement_id, queue_entry_id
from server.queue.sync import publish_offer, publish_queue, queue_scopes, referral_data
from server.reference.codes import require_code
from server.reference.models import Area
from server.sync import authorisation as auth
from server.sync.mutations import MutationContext, mutation

OFFER_HOURS = 48
PLACEABLE_KINDS = ("short_term_care", "housing_24h")
Maple = Annotated[int, msgspec.Meta(ge=1, le=5)]
Score06 = Annotated[int, msgspec.Meta(ge=0, le=6)]


class CreateReferral(msgspec.Struct, forbid_unknown_fields=True):
    referral_id: uuid.UUID
    client_id: uuid.UUID
    service_kind: str
    area_id: uuid.UUID
    urgency: str
    received_at: datetime
    source: str
    maple: Maple | None = None
    cps: Score06 | None = None
    adl_h: Score06 | None = None
    area_preference: Annotated[list[uuid.UUID], msgspec.Meta(max_length=10)] = []


class OfferPlace(msgspec.Struct, forbid_unknown_fields=True):
    offer_id: uuid.UUID
    queue_entry_id: uuid.UUID
    unit_id: uuid.UUID
    start_date: date
    end_date: date | None = None
    expires_at: datetime | None = None
    """Default: now + OFFER_HOURS (48 h)."""


class AcceptOffer(msgspec.Struct, forbid_unknown_fields=True):
    offer_id: uuid.UUID


class DeclineOffer(msgspec.Struct, forbid_unknown_fields=True):
    offer_id: uuid.UUID
    reason: Reason | None = None


# --- referrals ----------------------------------------------------------------------------------------------


def _referral_fields(args: CreateReferral) -> dict:
    return {
        "client_id": args.client_id,
        "service_kind": args.service_kind,
        "area_id": args.area_id,
        "urgency": args.urgency,
        "received_at": args.received_at,
        "source": args.source,
        "maple": args.maple,
        "cps": args.cps,
        "adl_h": args.adl_h,
        "area_preference": [str(a) for a in args.area_preference],
    }


@mutation("referral.create", args=CreateReferral, touches=lambda a: (auth.Client(a.client_id),))
async def create_referral(ctx: MutationContext, args: CreateReferral) -> dict:
    """Refer a client to a service: a counsellor of the area or a coordinator. Creates the queue entry."""
    coordinator = PLACES in ctx.scopes
    if not coordinator:
        ctx.require_scope(area_scope(args.area_id))
    await require_code(ctx, "referral.service_kind", args.service_kind)
    await require_code(ctx, "referral.urgency", args.urgency)
    await require_code(ctx, "referral.source", args.source)
    for area_id in [args.area_id, *args.area_preference]:
        if await ctx.session.get(Area, area_id) is None:
            ctx.reject("unknown_entity", "No such area.", {"area_id": str(area_id)})
    client = await ctx.session.get(Client, args.client_id)
    if client is None:
        ctx.reject("unknown_entity", "No such client.", {"client_id": str(args.client_id)})
    fields = _referral_fields(args)
    existing = await ctx.session.get(Referral, args.referral_id)
    if existing is not None:
        same = all(getattr(existing, k) == v for k, v in fields.items() if k != "received_at")
        if not same or existing.received_at != args.received_at:
            ctx.reject("duplicate", "A referral with this id already exists with other content.")
        return {"referral_id": str(existing.id), "queue_entry_id": str(queue_entry_id(existing.id))}
    referral = Referral(
        id=args.referral_id, status="open", created_at=ctx.now, created_by=ctx.user_id, **fields
    )
    ctx.session.add(referral)
    await ctx.session.flush()
    entry = QueueEntry(
        id=queue_entry_id(referral.id),
        referral_id=referral.id,
        client_id=referral.client_id,
        service_kind=referral.service_kind,
        area_id=referral.area_id,
        entered_at=date_in_finland(args.received_at),
        status="waiting",
    )
    ctx.session.add(entry)
    if area_scope(args.area_id) in ctx.scopes and await remember_area(ctx.session, client.id, args.area_id):
        await publish_client(ctx.session, ctx.changes, client)
    ctx.changes.put("referral", referral.id, referral_data(referral), queue_scopes(referral.area_id))
    await publish_queue(
        ctx.session, ctx.changes, entry.service_kind, entry.area_id, today_in_finland(ctx.now)
    )
    await signals.publish(ctx.session, signals.ReferralCreated(referral.id), ctx.now)
    role, basis = (
        ("coordinator", "coordinator:placement")
        if coordinator
        else (guidance_role(ctx.author), f"guidance:area:{args.area_id}")
    )
    await ctx.log_access(
        role, [Access("referral", "create", basis, client_id=client.id, record_id=str(referral.id))]
    )
    return {"referral_id": str(referral.id), "queue_entry_id": str(entry.id)}


# --- offers ---------------------------------------------------------------------------------------------------


lock_units_of_offers = prepare_unit_locks(units_of_rows(Offer, "offer_id"))


def is_expired(offer: Offer, now: datetime) -> bool:
    return offer.status == "expired" or (offer.status == "open" and offer.expires_at <= now)


async def _log_placement(ctx: MutationContext, offer: Offer, operation: str) -> None:
    await ctx.log_access(
        "coordinator",
        [
            Access(
                "offer",
                operation,
                "coordinator:placement",
                client_id=offer.client_id,
                record_id=str(offer.id),
            )
        ],
    )


@mutation(
    "placement.offer",
    args=OfferPlace,
    capacity_taking=True,
    prepare=lock_units_in_args,
    touches=lambda a: (auth.Role("coordinator"), auth.ClientOf("queue_entry", a.queue_entry_id)),
)
async def offer_place(ctx: MutationContext, args: OfferPlace) -> dict:
    """Offer a place to a waiting client; the open offer holds the place until answered or expired."""
    ctx.require_role("coordinator")
    existing = await ctx.session.get(Offer, args.offer_id)
    if existing is not None:
        ctx.require_replay(
            existing, args, ("queue_entry_id", "unit_id", "start_date", "end_date"), "An offer"
        )
        return {"offer_id": str(existing.id), "status": existing.status}
    entry = await ctx.session.get(QueueEntry, args.queue_entry_id)
    if entry is None:
        ctx.reject("unknown_entity", "No such queue entry.", {"queue_entry_id": str(args.queue_entry_id)})
    if entry.service_kind not in PLACEABLE_KINDS:
        ctx.reject("invalid_unit_kind", "Places are offered in short-term care and 24h housing only.")
    if args.end_date is None and entry.service_kind == "short_term_care":
        ctx.reject("invalid_date", "A short-term care offer needs an end date.")
    if args.end_date is not None:
        require_period(ctx, args.start_date, args.end_date)
    if args.start_date < today_in_finland(ctx.now):
        ctx.reject("invalid_date", "An offer cannot start in the past.", {"start_date": str(args.start_date)})
    expires_at = args.expires_at or ctx.now + timedelta(hours=OFFER_HOURS)
    if expires_at <= ctx.now:
        ctx.reject("invalid_args", "The offer would expire before it is made.")
    unit, before = await locked_unit(ctx, args.unit_id, entry.service_kind)
    entry = await ctx.session.get(
        QueueEntry, args.queue_entry_id, populate_existing=True, with_for_update=True
    )
    assert entry is not None
    if entry.status == "offered":
        ctx.reject("already_offered", "This queue entry already has an open offer.")
    if entry.status != "waiting":
        ctx.reject(
            "invalid_state", "Only a waiting queue entry can be offered a place.", {"status": entry.status}
        )
    offer = Offer(
        id=args.offer_id,
        queue_entry_id=entry.id,
        client_id=entry.client_id,
        unit_id=unit.id,
        start_date=args.start_date,
        end_date=args.end_date,
        expires_at=expires_at,
        status="open",
        created_at=ctx.now,
        created_by=ctx.user_id,
    )
    ctx.session.add(offer)
    entry.status = "offered"
    await check_and_publish(ctx, unit, before, args.start_date, args.end_date)
    publish_offer(ctx.changes, offer)
    await publish_queue(
        ctx.session, ctx.changes, entry.service_kind, entry.area_id, today_in_finland(ctx.now)
    )
    await signals.publish(ctx.session, signals.OfferMade(offer.id, expires_at), ctx.now)
    await _log_placement(ctx, offer, "offer")
    return {"offer_id": str(offer.id), "status": offer.status, "expires_at": expires_at.isoformat()}


async def get_offer(ctx: MutationContext, offer_id: uuid.UUID):
    """The offer, its unit (locked) and the unit's state before; rejects `offer_expired`."""
    ctx.require_role("coordinator")
    found = await ctx.session.get(Offer, offer_id)
    if found is None:
        ctx.reject("unknown_entity", "No such offer.", {"offer_id": str(offer_id)})
    unit, before = await locked_unit(ctx, found.unit_id, None)
    offer = await ctx.session.get(Offer, offer_id, populate_existing=True)
    assert offer is not None
    if is_expired(offer, ctx.now):
        ctx.reject("offer_expired", "The offer has expired.", {"expires_at": offer.expires_at.isoformat()})
    entry = await ctx.session.get(QueueEntry, offer.queue_entry_id, populate_existing=True)
    assert entry is not None
    return offer, entry, unit, before


@mutation(
    "placement.accept",
    args=AcceptOffer,
    capacity_taking=True,
    prepare=lock_units_of_offers,
    touches=lambda a: (auth.Role("coordinator"), auth.ClientOf("offer", a.offer_id)),
)
async def accept(ctx: MutationContext, args: AcceptOffer) -> dict:
    """The client accepts: the held place becomes their stay or residency; the entry is placed."""
    offer, entry, unit, before = await get_offer(ctx, args.offer_id)
    if offer.status == "accepted":
        return {"offer_id": str(offer.id), "placement_id": str(offer.placement_id)}
    if offer.status != "open":
        ctx.reject("invalid_state", "The offer is no longer open.", {"status": offer.status})
    offer.status, offer.decided_at, offer.decided_by = "accepted", ctx.now, ctx.user_id
    offer.placement_id = placement_id(offer.id)
    entry.status = "placed"
    referral = await ctx.session.get(Referral, entry.referral_id)
    assert referral is not None
    referral.status = "placed"
    await serve_client(ctx, offer.client_id, unit.id, offer.start_date, offer.end_date)
    if unit.kind == "short_term_care":
        assert offer.end_date is not None
        placed: Stay | Residency = Stay(
            id=offer.placement_id,
            client_id=offer.client_id,
            unit_id=unit.id,
            start_date=offer.start_date,
            end_date=offer.end_date,
            status="booked",
            updated_by=ctx.user_id,
        )
    else:
        placed = Residency(
            id=offer.placement_id,
            client_id=offer.client_id,
            unit_id=unit.id,
            move_in=offer.start_date,
            move_out=offer.end_date,
            updated_by=ctx.user_id,
        )
    ctx.session.add(placed)
    await check_and_publish(ctx, unit, before, offer.start_date, offer.end_date)
    if isinstance(placed, Stay):
        ctx.changes.put("stay", placed.id, stay_data(placed), record_scopes(unit.id))
    else:
        ctx.changes.put("residency", placed.id, await residency_data(ctx, placed), record_scopes(unit.id))
    publish_offer(ctx.changes, offer)
    ctx.changes.put("referral", referral.id, referral_data(referral), queue_scopes(referral.area_id))
    await publish_queue(
        ctx.session, ctx.changes, entry.service_kind, entry.area_id, today_in_finland(ctx.now), (entry,)
    )
    await _log_placement(ctx, offer, "accept")
    return {"offer_id": str(offer.id), "placement_id": str(offer.placement_id)}


@mutation(
    "placement.decline",
    args=DeclineOffer,
    prepare=lock_units_of_offers,
    touches=lambda a: (auth.Role("coordinator"), auth.ClientOf("offer", a.offer_id)),
)
async def decline(ctx: MutationContext, args: DeclineOffer) -> dict:
    """The client declines: the place is free again and the entry waits again."""
    offer, entry, unit, before = await get_offer(ctx, args.offer_id)
    if offer.status == "declined":
        return {"offer_id": str(offer.id), "status": offer.status}
    if offer.status != "open":
        ctx.reject("invalid_state", "The offer is no longer open.", {"status": offer.status})
    offer.status, offer.decided_at, offer.decided_by = "declined", ctx.now, ctx.user_id
    offer.decline_reason = args.reason
    entry.status = "waiting"
    await check_and_publish(ctx, unit, before, offer.start_date, offer.end_date, taking=False)
    publish_offer(ctx.changes, offer)
    await publish_queue(
        ctx.session, ctx.changes, entry.service_kind, entry.area_id, today_in_finland(ctx.now)
    )
    await _log_placement(ctx, offer, "decline")
    return {"offer_id": str(offer.id), "status": offer.status}
