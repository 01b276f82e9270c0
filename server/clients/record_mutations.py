"""The parts of the client record beside the person: close persons, consents, service relationships.

| mutation | what | merge |
|---|---|---|
| `client.add_close_person` | a relative or other close person, with relation and contact details | new record |
| `client.update_close_person` | change some of its fields | `lww` per field |
| `client.remove_close_person` | the person is no longer listed (kept, with `removed_at`) | once |
| `consent.give` | a consent for a purpose, given on a date by the client or a representative | written once |
| `consent.withdraw` | the consent ends on a date (default today in Finland) | earliest withdrawal stays |
| `client.add_service` | a responsible counsellor, or a service the client receives | new record |
| `client.end_service` | the relationship ends on a date | earliest end stays |

Who (object level): the author must hold one of the client's scopes (`unit:` of a current service
relationship, `area:` of a guidance relationship or of the client's municipality, `user:` of a responsible
counsellor) — the same rule as `client.update`. Every write goes to the access log with its basis. Records
are published with the client (`server.clients.sync.publish_parts`) into the client's scopes. Ids come
from the device; sending the same record again is a no-op, other content under its id is `duplicate`.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType
from sqlalchemy import select

from server.access_log.service import Access
from server.accounts.models import RoleAssignment
from server.clients.models import CLOSE_PERSON_POLICIES, Client, ClientService, ClosePerson, Consent
from server.clients.mutations import Address, Email, Phone, allowed_scopes, basis, municipality_area
from server.clients.sync import publish_client
from server.clock import today_in_finland
from server.reference.models import Area
from server.sync import authorisation as auth
from server.sync.mutations import MutationContext, mutation

PersonName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Note = Annotated[str, msgspec.Meta(max_length=500)]
Relation = Literal[
    "spouse",
    "partner",
    "child",
    "parent",
    "sibling",
    "grandchild",
    "other_relative",
    "friend",
    "neighbour",
    "guardian",
    "trustee",
    "other",
]
Purpose = Literal[
    "cross_service_summary", "disclose_to_close_persons", "disclose_to_other_providers", "electronic_messages"
]
Giver = Literal["client", "guardian", "trustee", "close_person"]
Service = Literal[
    "home_care",
    "support_services",
    "meals",
    "safety_phone",
    "family_care_support",
    "day_activity",
    "short_term_care",
    "housing_24h",
    "personal_assistance",
    "transport_service",
    "guidance",
    "other",
]


class AddClosePerson(msgspec.Struct, forbid_unknown_fields=True):
    close_person_id: uuid.UUID
    client_id: uuid.UUID
    name: PersonName
    relation: Relation
    phone: Phone | None = None
    email: Email | None = None
    address: Address | None = None
    primary_contact: bool = False
    note: Note | None = None


class ClosePersonChanges(msgspec.Struct, forbid_unknown_fields=True):
    name: PersonName | UnsetType = UNSET
    relation: Relation | UnsetType = UNSET
    phone: Phone | UnsetType | None = UNSET
    email: Email | UnsetType | None = UNSET
    address: Address | UnsetType | None = UNSET
    primary_contact: bool | UnsetType = UNSET
    note: Note | UnsetType | None = UNSET


class UpdateClosePerson(msgspec.Struct, forbid_unknown_fields=True):
    close_person_id: uuid.UUID
    changes: ClosePersonChanges


class RemoveClosePerson(msgspec.Struct, forbid_unknown_fields=True):
    close_person_id: uuid.UUID


class GiveConsent(msgspec.Struct, forbid_unknown_fields=True):
    consent_id: uuid.UUID
    client_id: uuid.UUID
    purpose: Purpose
    given_on: date
    given_by: Giver = "client"
    given_by_name: PersonName | None = None
    """The representative's name when `given_by` is not the client."""
    note: Note | None = None


class WithdrawConsent(msgspec.Struct, forbid_unknown_fields=True):
    consent_id: uuid.UUID
    withdrawn_on: date | None = None
    """Default: today in Finland."""


class AddService(msgspec.Struct, forbid_unknown_fields=True):
    service_id: uuid.UUID
    client_id: uuid.UUID
    kind: Literal["counsellor", "service"]
    since: date
    counsellor_id: uuid.UUID | None = None
    """`kind` counsellor: the responsible counsellor (a user with the counsellor role)."""
    service: Service | None = None
    """`kind` service: which service."""
    area_id: uuid.UUID | None = None
    """Default: the area of the client's municipality."""


class EndService(msgspec.Struct, forbid_unknown_fields=True):
    service_id: uuid.UUID
    until: date


async def client_for_write(ctx: MutationContext, client_id: uuid.UUID) -> tuple[Client, set[str]]:
    """The client (locked) and the scopes whose holders may change its record; `forbidden` otherwise."""
    client = await ctx.session.get(Client, client_id, with_for_update=True)
    if client is None:
        ctx.reject("unknown_entity", "No such client.", {"client_id": str(client_id)})
    held = await allowed_scopes(ctx, client)
    if not held & ctx.scopes:
        ctx.reject("forbidden", "You have no basis to change this client's data.")
    return client, held


async def log_part(
    ctx: MutationContext, client: Client, held: set[str], record_type: str, record_id: uuid.UUID, op: str
) -> None:
    role, why = await basis(ctx, client, held)
    await ctx.log_access(role, [Access(record_type, op, why, client_id=client.id, record_id=str(record_id))])


async def _finish(
    ctx: MutationContext, client: Client, held: set[str], record_type: str, record_id: uuid.UUID, op: str
) -> None:
    await ctx.session.flush()
    await publish_client(ctx.session, ctx.changes, client)
    await log_part(ctx, client, held, record_type, record_id, op)


# --- close persons ---------------------------------------------------------------------------------------

PERSON_FIELDS = ("client_id", "name", "relation", "phone", "email", "address", "primary_contact", "note")


@mutation("client.add_close_person", args=AddClosePerson, touches=lambda a: (auth.Client(a.client_id),))
async def add_close_person(ctx: MutationContext, args: AddClosePerson) -> dict:
    """Add a relative or other person close to the client, with relation and contact details."""
    client, held = await client_for_write(ctx, args.client_id)
    existing = await ctx.session.get(ClosePerson, args.close_person_id)
    if existing is not None:
        ctx.require_replay(existing, args, PERSON_FIELDS, "A close person")
        return {"close_person_id": str(existing.id), "created": False}
    person = ClosePerson(
        id=args.close_person_id,
        **{name: getattr(args, name) for name in PERSON_FIELDS},
        created_at=ctx.now,
        created_by=ctx.user_id,
    )
    ctx.session.add(person)
    await _finish(ctx, client, held, "close_person", person.id, "create")
    return {"close_person_id": str(person.id), "created": True}


async def _person(ctx: MutationContext, person_id: uuid.UUID) -> ClosePerson:
    person = await ctx.session.get(ClosePerson, person_id, with_for_update=True)
    if person is None:
        ctx.reject("unknown_entity", "No such close person.", {"close_person_id": str(person_id)})
    return person


@mutation(
    "client.update_close_person",
    args=UpdateClosePerson,
    touches=lambda a: (auth.ClientOf("close_person", a.close_person_id),),
)
async def update_close_person(ctx: MutationContext, args: UpdateClosePerson) -> dict:
    """Change a close person's details (last writer wins per field)."""
    person = await _person(ctx, args.close_person_id)
    client, held = await client_for_write(ctx, person.client_id)
    changes = {k: v for k, v in msgspec.structs.asdict(args.changes).items() if v is not UNSET}
    current = {name: getattr(person, name) for name in PERSON_FIELDS if name != "client_id"}
    plan = CLOSE_PERSON_POLICIES.plan(current, changes, {}, None)
    if not plan.valid:
        ctx.reject("invalid_args", "These fields cannot be changed.", {"fields": plan.refused + plan.unknown})
    for name, value in plan.updates.items():
        setattr(person, name, value)
    if plan.updates:
        await _finish(ctx, client, held, "close_person", person.id, "update")
    else:
        await log_part(ctx, client, held, "close_person", person.id, "update")
    return {"close_person_id": str(person.id), "applied": sorted(plan.updates)}


@mutation(
    "client.remove_close_person",
    args=RemoveClosePerson,
    touches=lambda a: (auth.ClientOf("close_person", a.close_person_id),),
)
async def remove_close_person(ctx: MutationContext, args: RemoveClosePerson) -> dict:
    """The person is no longer one of the client's close persons (the row stays, with `removed_at`)."""
    person = await _person(ctx, args.close_person_id)
    client, held = await client_for_write(ctx, person.client_id)
    if person.removed_at is None:
        person.removed_at = ctx.now
        await _finish(ctx, client, held, "close_person", person.id, "delete")
    return {"close_person_id": str(person.id), "removed_at": person.removed_at.isoformat()}


# --- consents --------------------------------------------------------------------------------------------

CONSENT_FIELDS = ("client_id", "purpose", "given_on", "given_by", "given_by_name", "note")


@mutation("consent.give", args=GiveConsent, touches=lambda a: (auth.Client(a.client_id),))
async def give_consent(ctx: MutationContext, args: GiveConsent) -> dict:
    """Record a consent the client (or their representative) gave for a purpose on a date."""
    client, held = await client_for_write(ctx, args.client_id)
    if args.given_on > today_in_finland(ctx.now):
        ctx.reject(
            "invalid_date", "A consent cannot be given in the future.", {"given_on": str(args.given_on)}
        )
    if args.given_by != "client" and not args.given_by_name:
        ctx.reject("invalid_args", "Name the representative who gave the consent (`given_by_name`).")
    existing = await ctx.session.get(Consent, args.consent_id)
    if existing is not None:
        ctx.require_replay(existing, args, CONSENT_FIELDS, "A consent")
        return {"consent_id": str(existing.id), "created": False}
    consent = Consent(
        id=args.consent_id,
        **{name: getattr(args, name) for name in CONSENT_FIELDS},
        recorded_by=ctx.user_id,
        recorded_at=ctx.now,
    )
    ctx.session.add(consent)
    await _finish(ctx, client, held, "consent", consent.id, "create")
    return {"consent_id": str(consent.id), "created": True}


@mutation(
    "consent.withdraw", args=WithdrawConsent, touches=lambda a: (auth.ClientOf("consent", a.consent_id),)
)
async def withdraw_consent(ctx: MutationContext, args: WithdrawConsent) -> dict:
    """The consent ends on `withdrawn_on`; two withdrawals keep the earlier date (`merge`)."""
    consent = await ctx.session.get(Consent, args.consent_id, with_for_update=True)
    if consent is None:
        ctx.reject("unknown_entity", "No such consent.", {"consent_id": str(args.consent_id)})
    client, held = await client_for_write(ctx, consent.client_id)
    day = args.withdrawn_on or today_in_finland(ctx.now)
    if day < consent.given_on:
        ctx.reject("invalid_date", "A consent cannot end before it was given.", {"withdrawn_on": str(day)})
    if consent.withdrawn_on is None or day < consent.withdrawn_on:
        consent.withdrawn_on, consent.withdrawn_by = day, ctx.user_id
        await _finish(ctx, client, held, "consent", consent.id, "update")
    return {"consent_id": str(consent.id), "withdrawn_on": consent.withdrawn_on.isoformat()}


# --- service relationships -------------------------------------------------------------------------------

SERVICE_FIELDS = ("client_id", "kind", "counsellor_id", "service", "since")


@mutation("client.add_service", args=AddService, touches=lambda a: (auth.Client(a.client_id),))
async def add_service(ctx: MutationContext, args: AddService) -> dict:
    """Name the client's responsible counsellor, or record a service the client receives."""
    client, held = await client_for_write(ctx, args.client_id)
    if args.kind == "counsellor":
        if args.counsellor_id is None or args.service is not None:
            ctx.reject("invalid_args", "A counsellor relationship names `counsellor_id` and no `service`.")
        is_counsellor = (
            await ctx.session.execute(
                select(RoleAssignment.id).where(
                    RoleAssignment.user_id == args.counsellor_id, RoleAssignment.role == "counsellor"
                )
            )
        ).first()
        if is_counsellor is None:
            ctx.reject("unknown_entity", "No such counsellor.", {"counsellor_id": str(args.counsellor_id)})
    elif args.service is None or args.counsellor_id is not None:
        ctx.reject("invalid_args", "A service relationship names `service` and no `counsellor_id`.")
    area_id = args.area_id or await municipality_area(ctx, client.municipality_id)
    if await ctx.session.get(Area, area_id) is None:
        ctx.reject("unknown_entity", "No such area.", {"area_id": str(area_id)})
    existing = await ctx.session.get(ClientService, args.service_id)
    if existing is not None:
        ctx.require_replay(existing, args, SERVICE_FIELDS, "A service relationship")
        return {"service_id": str(existing.id), "created": False}
    row = ClientService(
        id=args.service_id,
        **{name: getattr(args, name) for name in SERVICE_FIELDS},
        area_id=area_id,
        created_by=ctx.user_id,
    )
    ctx.session.add(row)
    await _finish(ctx, client, held, "client_service", row.id, "create")
    return {"service_id": str(row.id), "created": True}


@mutation(
    "client.end_service", args=EndService, touches=lambda a: (auth.ClientOf("client_service", a.service_id),)
)
async def end_service(ctx: MutationContext, args: EndService) -> dict:
    """The relationship ends on `until` (inclusive); two ends keep the earlier date (`merge`)."""
    row = await ctx.session.get(ClientService, args.service_id, with_for_update=True)
    if row is None:
        ctx.reject("unknown_entity", "No such service relationship.", {"service_id": str(args.service_id)})
    client, held = await client_for_write(ctx, row.client_id)
    if args.until < row.since:
        ctx.reject("invalid_date", "A relationship cannot end before it began.", {"until": str(args.until)})
    if row.until is None or args.until < row.until:
        row.until = args.until
        # A responsible counsellor keeps the client in `user:{id}` through the end date, then it leaves.
        await _finish(ctx, client, held, "client_service", row.id, "update")
    return {"service_id": str(row.id), "until": row.until.isoformat() if row.until else None}
