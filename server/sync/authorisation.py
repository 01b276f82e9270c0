"""Declared authorisation: what a mutation touches, and the basis it needs on each thing, checked by the push.

A mutation declares its touches next to its handler (`@mutation(..., touches=...)`): a function of its
arguments returning what it reads or writes:

- `Client(id)`: a client the author must already have a basis on (`server.clients.access`): a current
  service relationship with one of their units, a guidance relationship in one of their areas, a named
  responsible counsellor, a consent in force, a placement in the queue for coordinators, or a
  break-the-glass grant. A client created earlier in the same push counts as well.
  `Client(id, new=True)`: the mutation creates it; an id already taken by a client the author has no
  basis on is refused like any unknown one.
- `ClientOf(kind, id)`: the client of a row (a stay, an offer, a conflict …), found through the resolver
  its domain declares, then checked as `Client`.
- `Unit(id)`: the author holds the unit (`unit:{id}`); `Unit(id, places=True)` also lets a coordinator
  (`places`) act on any unit. `Area(id)` likewise with `area:{id}`.
- `Role(*roles)`: the author holds one of the roles.

The push resolves the declarations of the whole batch before any handler runs, in a few statements
(`resolve`), and refuses a mutation whose declarations fail with `forbidden`, before its handler runs. An
unknown client id and one the author may not touch get the same answer, so a refusal reveals nothing. The
resolved basis of each declared client is what the access log records (`MutationContext.basis`), and a
handler cannot publish a client record it did not declare: the push's change set refuses it (`guard`).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.scopes import PLACES, area_scope, unit_scope

if TYPE_CHECKING:
    from server.accounts.principal import Principal


@dataclass(frozen=True, slots=True)
class Client:
    id: uuid.UUID | None
    new: bool = False


@dataclass(frozen=True, slots=True)
class AnyClient:
    """A client the author may name without a basis (break the glass): it must exist, nothing more. The
    mutation logs the access with the basis it creates."""

    id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class ClientOf:
    kind: str
    id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class Unit:
    id: uuid.UUID | None
    places: bool = False


@dataclass(frozen=True, slots=True)
class Area:
    id: uuid.UUID | None
    places: bool = False


@dataclass(frozen=True, slots=True)
class Role:
    roles: tuple[str, ...]

    def __init__(self, *roles: str) -> None:
        object.__setattr__(self, "roles", roles)


Touch = Client | AnyClient | ClientOf | Unit | Area | Role
Touches = Callable[[Any], Iterable[Touch]]


def in_unit(args: Any) -> tuple[Touch, ...]:
    """The unit's own work on its client (`client_id`, `unit_id`): attendance and the like."""
    return (Client(args.client_id), Unit(args.unit_id))


def placing(args: Any) -> tuple[Touch, ...]:
    """Placing a client in a unit (`client_id`, `unit_id`): its staff, or a coordinator (`places`)."""
    return (Client(args.client_id), Unit(args.unit_id, places=True))


# Resolvers the domains declare (`Domain.client_bases`, `Domain.client_of`), installed by the composition root.
# A basis resolver answers for every id that is a client: its basis, or None when the author has none.
ClientBases = Callable[[AsyncSession, "Principal", set[uuid.UUID]], Awaitable[dict[uuid.UUID, str | None]]]
ClientsOf = Callable[[AsyncSession, set[uuid.UUID]], Awaitable[dict[uuid.UUID, uuid.UUID]]]
# An alias resolver answers, for the ids that name a merged client, the client that survived the merge.
ClientAliases = Callable[[AsyncSession, set[uuid.UUID]], Awaitable[dict[uuid.UUID, uuid.UUID]]]
_bases: list[ClientBases] = []
_aliases: list[ClientAliases] = []
_clients_of: dict[str, ClientsOf] = {}


def declare_bases(resolver: ClientBases) -> None:
    if resolver not in _bases:
        _bases.append(resolver)


def declare_aliases(resolver: ClientAliases) -> None:
    if resolver not in _aliases:
        _aliases.append(resolver)


async def redirect_merged(
    session: AsyncSession, converted: dict[int, tuple[Any, Any]]
) -> dict[int, tuple[Any, Any]]:
    """A mutation queued offline against a client merged since names the survivor: every `client_id` and
    `…_client_id` argument naming a merged client is replaced before the declarations are resolved, so the
    mutation is checked, applied and logged as the survivor's (the envelope keeps what the device sent).
    One query per push that names clients."""
    named = {v for _, a in converted.values() for v in _client_ids(a).values()}
    if not named or not _aliases:
        return converted
    found: dict[uuid.UUID, uuid.UUID] = {}
    for resolver in _aliases:
        found.update(await resolver(session, named))
    if not found:
        return converted
    redirected = {}
    for seq, (spec, a) in converted.items():
        fields = {k: found[v] for k, v in _client_ids(a).items() if v in found}
        redirected[seq] = (spec, msgspec.structs.replace(a, **fields) if fields else a)
    return redirected


def _client_ids(args: Any) -> dict[str, uuid.UUID]:
    fields = getattr(args, "__struct_fields__", ())
    return {
        f: getattr(args, f)
        for f in fields
        if (f == "client_id" or f.endswith("_client_id")) and isinstance(getattr(args, f), uuid.UUID)
    }


def declare_client_of(kind: str, resolver: ClientsOf) -> None:
    known = _clients_of.get(kind)
    if known is not None and known is not resolver:
        raise TypeError(f"Two resolvers of the client of a {kind!r}.")
    _clients_of[kind] = resolver


def client_column(model: Any) -> ClientsOf:
    """The resolver of a table with `id` and `client_id` columns (most rows about a client)."""

    async def resolve(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
        rows = await session.execute(select(model.id, model.client_id).where(model.id.in_(sorted(ids))))
        return {row_id: client_id for row_id, client_id in rows if client_id is not None}

    return resolve


class UndeclaredClient(RuntimeError):
    """A handler published a client it did not declare: a bug in the mutation, never the device's fault."""


@dataclass
class Resolved:
    """The batch's declarations, resolved: each client's basis, and the clients of the rows named."""

    bases: dict[uuid.UUID, str | None] = field(default_factory=dict)  # every existing client named
    clients_of: dict[tuple[str, uuid.UUID], uuid.UUID] = field(default_factory=dict)
    created: set[uuid.UUID] = field(default_factory=set)  # by applied mutations of this push

    def may_touch(self, client_id: uuid.UUID) -> bool:
        return self.bases.get(client_id) is not None or client_id in self.created

    def basis(self, client_id: uuid.UUID) -> str:
        if client_id in self.created and self.bases.get(client_id) is None:
            return "created_in_batch"
        return self.bases.get(client_id) or "none"

    def client_ids(self, touches: Iterable[Touch]) -> list[uuid.UUID | None]:
        found: list[uuid.UUID | None] = []
        for touch in touches:
            if isinstance(touch, Client | AnyClient):
                found.append(touch.id)
            elif isinstance(touch, ClientOf) and touch.id is not None:
                found.append(self.clients_of.get((touch.kind, touch.id)))
        return found


async def resolve(session: AsyncSession, author: Principal, touches: Iterable[Iterable[Touch]]) -> Resolved:
    """Resolve every declaration of a push at once: one query per kind of row named, one per basis kind."""
    resolved = Resolved()
    wanted: dict[str, set[uuid.UUID]] = {}
    clients: set[uuid.UUID] = set()
    for batch in touches:
        for touch in batch:
            if isinstance(touch, ClientOf) and touch.id is not None:
                wanted.setdefault(touch.kind, set()).add(touch.id)
            elif isinstance(touch, Client | AnyClient) and touch.id is not None:
                clients.add(touch.id)
    for kind, ids in sorted(wanted.items()):
        found = await _clients_of[kind](session, ids)
        resolved.clients_of.update({(kind, row_id): client_id for row_id, client_id in found.items()})
        clients |= set(found.values())
    if clients and author.user_id is not None:
        for resolver in _bases:
            for client_id, basis in (await resolver(session, author, clients)).items():
                if resolved.bases.get(client_id) is None:
                    resolved.bases[client_id] = basis
    return resolved


def refusal(touches: Iterable[Touch], author: Principal, scopes: set[str], resolved: Resolved) -> str | None:
    """Why the author may not do this (a message for the device), or None when every declaration holds."""
    for touch in touches:
        if isinstance(touch, Role):
            if not author.has_role(*touch.roles):
                return f"This needs the role {' or '.join(touch.roles)}."
        elif isinstance(touch, Unit | Area):
            if touch.id is None:
                continue
            scope = unit_scope(touch.id) if isinstance(touch, Unit) else area_scope(touch.id)
            if scope not in scopes and not (touch.places and PLACES in scopes):
                return "You may not change data outside your units and areas."
        elif isinstance(touch, Client):
            if touch.id is None:
                continue
            if touch.new and touch.id not in resolved.bases:
                continue  # a new client: nobody's yet
            if not resolved.may_touch(touch.id):
                return NO_CLIENT
        elif isinstance(touch, AnyClient):
            if touch.id is not None and touch.id not in resolved.bases:
                return NO_CLIENT
        elif isinstance(touch, ClientOf) and touch.id is not None:
            client_id = resolved.clients_of.get((touch.kind, touch.id))
            if client_id is not None and not resolved.may_touch(client_id):
                return NO_CLIENT
    return None


NO_CLIENT = "No such client, or you have no basis to see this client's data."

_ROLES = {
    "service_relationship:unit": "unit_staff",
    "service_relationship:counsellor": "counsellor",
    "consent": "counsellor",
    "application_handler": "counsellor",
    "assessment_counsellor": "counsellor",
    "coordinator": "coordinator",
}


def role_of(basis: str, author: Principal) -> str | None:
    """The role an access is logged under: the one its basis comes from (guidance: counsellor or supervisor)."""
    prefix = basis.rsplit(":", 1)[0]
    if prefix in _ROLES:
        return _ROLES[prefix]
    if basis.startswith("guidance"):
        return "counsellor" if author.has_role("counsellor") else "supervisor"
    return author.actor().role
