"""Client mutations: `client.create` and `client.update`, and how conflicts on clients are resolved.

Authorisation (object level):
- `client.create` without `unit_id`: the author must hold `area:{area of the municipality}` (a counsellor
  of that area); the client gets a guidance relationship to the area (`client_areas`).
- `client.create` with `unit_id`: the author must hold `unit:{unit_id}` (unit staff); the client is created
  together with a service relationship to that unit, starting today. Unit staff cannot create a client
  without one, since they would then have no basis to see it.
- `client.update` and resolving a client conflict: the author must hold one of the client's scopes
  (`unit:` of a current service relationship, `area:` of a guidance relationship) or `area:` of the area of
  the client's municipality (counsellors see the clients of their area).

`client.update` decides each change with the field policies in `server.clients.models.POLICIES`; the envelope's
`base_version` is the record's `revision` the author saw. Stale changes to `manual` fields open one conflict
each and the outcome is `conflict`; the other changes are applied. A change is not stale when every change of
the field since `base_version` came from the same sync client (two offline edits in a row). Every create and
update is logged.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, UnsetType

from server.access_log.service import Access
from server.accounts.scopes import ADMIN, area_scope, unit_scope
from server.clients.access import basis_for_client
from server.clients.models import POLICIES, Client, ClientUnit
from server.clients.sync import client_data, client_scopes, publish_client, remember_area
from server.clock import date_in_finland
from server.conflicts.service import Resolver, open_conflict, register_resolver
from server.reference.models import Municipality, Unit
from server.sync import authorisation as auth
from server.sync.mutations import MutationContext, mutation
from sync_protocol.policies import recorded

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Phone = Annotated[str, msgspec.Meta(max_length=40)]
Address = Annotated[str, msgspec.Meta(max_length=200)]
Email = Annotated[str, msgspec.Meta(max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")]
Language = Annotated[str, msgspec.Meta(pattern=r"^[a-z]{2,3}$")]
Languages = Annotated[list[Language], msgspec.Meta(max_length=10)]

# The type of every field a device may set, for `client.update` and `conflict.resolve` values.
FIELD_TYPES: dict[str, Any] = {
    "first_name": Name,
    "last_name": Name,
    "birth_date": date | None,
    "municipality_id": uuid.UUID,
    "phone": Phone | None,
    "address": Address | None,
    "email": Email | None,
    "languages": Languages,
    "service_language": Language | None,
}


class CreateClient(msgspec.Struct, forbid_unknown_fields=True):
    client_id: uuid.UUID
    first_name: Name
    last_name: Name
    municipality_id: uuid.UUID
    birth_date: date | None = None
    phone: Phone | None = None
    address: Address | None = None
    email: Email | None = None
    languages: Languages = []
    service_language: Language | None = None
    unit_id: uuid.UUID | None = None
    """Unit staff: the unit that serves the client (required for them; a service relationship is created)."""


class ClientChanges(msgspec.Struct, forbid_unknown_fields=True):
    """The fields to change; a field left out is not changed. `id` and `revision` are server fields."""

    first_name: Name | UnsetType = UNSET
    last_name: Name | UnsetType = UNSET
    birth_date: date | UnsetType | None = UNSET
    municipality_id: uuid.UUID | UnsetType = UNSET
    phone: Phone | UnsetType | None = UNSET
    address: Address | UnsetType | None = UNSET
    email: Email | UnsetType | None = UNSET
    languages: Languages | UnsetType = UNSET
    service_language: Language | UnsetType | None = UNSET


class UpdateClient(msgspec.Struct, forbid_unknown_fields=True):
    client_id: uuid.UUID
    changes: ClientChanges


async def municipality_area(ctx: MutationContext, municipality_id: uuid.UUID) -> uuid.UUID:
    municipality = await ctx.session.get(Municipality, municipality_id)
    if municipality is None:
        ctx.reject("unknown_entity", "No such municipality.", {"municipality_id": str(municipality_id)})
    return municipality.area_id


async def allowed_scopes(ctx: MutationContext, client: Client) -> set[str]:
    """The scopes whose holders may change the client."""
    area_id = await municipality_area(ctx, client.municipality_id)
    return await client_scopes(ctx.session, client) | {area_scope(area_id)}


async def basis(ctx: MutationContext, client: Client, held: set[str]) -> tuple[str, str]:
    """The role and basis for the access log: `basis_for_client`, else the scope that allowed it."""
    found = await basis_for_client(ctx.session, ctx.author, client)
    if found is not None:
        return found
    if ADMIN in ctx.scopes:
        return "admin", "admin:conflict_resolution"
    scope = sorted(held & ctx.scopes)[0] if held & ctx.scopes else "none"
    return ctx.author.actor().role or "unknown", f"scope:{scope}"


async def log(ctx: MutationContext, client: Client, operation: str, held: set[str]) -> None:
    role, why = await basis(ctx, client, held)
    await ctx.log_access(
        role, [Access("client", operation, why, client_id=client.id, record_id=str(client.id))]
    )


def as_fields(client: Client) -> dict[str, Any]:
    return {name: getattr(client, name) for name in FIELD_TYPES}


def _write(ctx: MutationContext, client: Client, updates: dict[str, Any]) -> None:
    client.revision = (client.revision or 1) + 1
    for name, value in updates.items():
        setattr(client, name, value)
    client.field_versions = recorded(client.field_versions or {}, updates, client.revision, ctx.writer)


@mutation(
    "client.create",
    args=CreateClient,
    touches=lambda a: (auth.Client(a.client_id, new=True), auth.Unit(a.unit_id)),
)
async def create(ctx: MutationContext, args: CreateClient) -> dict:
    """Create a client: a counsellor in the area of the municipality, or unit staff with `unit_id`."""
    area_id = await municipality_area(ctx, args.municipality_id)
    if args.unit_id is not None:
        ctx.require_scope(unit_scope(args.unit_id))
        if await ctx.session.get(Unit, args.unit_id) is None:
            ctx.reject("unknown_entity", "No such unit.", {"unit_id": str(args.unit_id)})
    else:
        ctx.require_scope(area_scope(area_id))
    fields = {
        "first_name": args.first_name,
        "last_name": args.last_name,
        "birth_date": args.birth_date,
        "municipality_id": args.municipality_id,
        "phone": args.phone,
        "address": args.address,
        "email": args.email,
        "languages": list(args.languages),
        "service_language": args.service_language,
    }
    existing = await ctx.session.get(Client, args.client_id)
    if existing is not None:
        if as_fields(existing) == fields:
            return {"client_id": str(existing.id), "created": False}
        ctx.reject("duplicate", "A client with this id already exists.", {"client_id": str(args.client_id)})
    client = Client(id=args.client_id, created_at=ctx.now, revision=1, field_versions={}, **fields)
    ctx.session.add(client)
    await ctx.session.flush()
    if args.unit_id is not None:
        ctx.session.add(
            ClientUnit(client_id=client.id, unit_id=args.unit_id, since=date_in_finland(ctx.client_time()))
        )
        await ctx.session.flush()
    if area_scope(area_id) in ctx.scopes:
        await remember_area(ctx.session, client.id, area_id)
    await publish_client(ctx.session, ctx.changes, client)
    await log(ctx, client, "create", await allowed_scopes(ctx, client))
    return {"client_id": str(client.id), "created": True}


@mutation("client.update", args=UpdateClient, touches=lambda a: (auth.Client(a.client_id),))
async def update(ctx: MutationContext, args: UpdateClient) -> dict:
    """Change client fields; `base_version` = the `revision` seen. Stale identity changes become conflicts."""
    client = await ctx.session.get(Client, args.client_id, with_for_update=True)
    if client is None:
        ctx.reject("unknown_entity", "No such client.", {"client_id": str(args.client_id)})
    held = await allowed_scopes(ctx, client)
    if not held & ctx.scopes:
        ctx.reject("forbidden", "You have no basis to change this client's data.")
    changes = {k: v for k, v in msgspec.structs.asdict(args.changes).items() if v is not UNSET}
    if "municipality_id" in changes:
        await municipality_area(ctx, changes["municipality_id"])
    plan = POLICIES.plan(
        as_fields(client),
        changes,
        client.field_versions or {},
        ctx.envelope.base_version,
        author=ctx.writer,
    )
    if not plan.valid:
        ctx.reject("invalid_args", "These fields cannot be changed.", {"fields": plan.refused + plan.unknown})
    kept = client_data(client)
    if plan.updates:
        _write(ctx, client, plan.updates)
        await ctx.session.flush()
    scopes = await client_scopes(ctx.session, client)
    for name, (current, proposed) in plan.conflicts.items():
        await open_conflict(ctx, "client", client.id, name, current, proposed, scopes)
    if plan.updates:
        await publish_client(ctx.session, ctx.changes, client)
    await log(ctx, client, "update", held)
    return {
        "client_id": str(client.id),
        "revision": client.revision,
        "applied": sorted(plan.updates),
        "contested": sorted(plan.conflicts),
        "unchanged": sorted(plan.noop),
        "previous_revision": kept["revision"],
    }


async def _resolver_scopes(ctx: MutationContext, record_id: str) -> set[str] | None:
    client = await ctx.session.get(Client, uuid.UUID(record_id))
    return None if client is None else await allowed_scopes(ctx, client)


async def _resolver_apply(ctx: MutationContext, record_id: str, field: str, value: Any) -> None:
    client = await ctx.session.get(Client, uuid.UUID(record_id), with_for_update=True)
    if client is None:
        ctx.reject("unknown_entity", "The contested client no longer exists.", {"client_id": record_id})
    try:
        typed = msgspec.convert(value, FIELD_TYPES[field])
    except (KeyError, msgspec.ValidationError) as exc:
        ctx.reject("invalid_args", f"Not a valid value for {field}: {exc}", {"field": field})
    if field == "municipality_id":
        await municipality_area(ctx, typed)
    held = await allowed_scopes(ctx, client)
    if getattr(client, field) != typed:
        _write(ctx, client, {field: typed})
        await ctx.session.flush()
        await publish_client(ctx.session, ctx.changes, client)
    await log(ctx, client, "update", held)


register_resolver("client", Resolver(scopes=_resolver_scopes, apply=_resolver_apply))
