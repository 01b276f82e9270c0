"""The personal identity code (*henkilötunnus*) on the client record: set, shown, found.

The code is optional (anonymous and foreign clients have none) and unique: two clients with one code are one
person, so the second is refused and the clients are to be merged (`client.merge`). It is kept in
`client_identities`, apart from the client record, so that it never travels with the record to unit
tablets: devices get it as its own record type, `client_identity`, in the client's scopes without the
`unit:` ones. Readers whose work does not need it (unit staff, and anyone reading through break the glass)
see it masked, the birth date part only (`IdentityCode.masked`).
"""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server import identity_code
from server.accounts.models import GUIDANCE_ROLES
from server.clients.models import Client, ClientIdentity
from server.clients.names import name_key
from server.clients.sync import publish_client
from server.sync import authorisation as auth
from server.sync.mutations import MutationContext, mutation

CodeText = Annotated[str, msgspec.Meta(min_length=1, max_length=20)]


def shown(code: str | None, role: str | None, basis: str) -> str | None:
    """The code as this reader may see it: whole for guidance (counsellors, supervisors) on a guidance or
    responsible-counsellor basis, masked for everyone else."""
    if code is None:
        return None
    full = role in GUIDANCE_ROLES and not basis.startswith("break_glass")
    return code if full else identity_code.parse(code).masked()


async def code_of(session: AsyncSession, client_id: uuid.UUID) -> str | None:
    return await session.scalar(
        select(ClientIdentity.identity_code).where(ClientIdentity.client_id == client_id)
    )


async def set_code(session: AsyncSession, client: Client, code: str | None) -> None:
    """Write the client's identity row (the name key and birth date keep duplicate detection current)."""
    row = await session.get(ClientIdentity, client.id)
    if row is None:
        row = ClientIdentity(client_id=client.id, name_key="", birth_date=None)
        session.add(row)
    row.identity_code = code
    row.name_key = name_key(client.first_name, client.last_name)
    row.birth_date = client.birth_date
    await session.flush()


class SetIdentityCode(msgspec.Struct, forbid_unknown_fields=True):
    client_id: uuid.UUID
    identity_code: CodeText | None
    """None removes the code (it was entered on the wrong person)."""


@mutation(
    "client.set_identity_code",
    args=SetIdentityCode,
    touches=lambda a: (auth.Client(a.client_id), auth.Role("counsellor", "supervisor")),
)
async def set_identity_code(ctx: MutationContext, args: SetIdentityCode) -> dict:
    """Set, correct or remove a client's identity code: counsellors and supervisors with a basis."""
    client = await ctx.session.get(Client, args.client_id, with_for_update=True)
    if client is None:
        ctx.reject("unknown_entity", "No such client.", {"client_id": str(args.client_id)})
    code = None
    if args.identity_code is not None:
        try:
            parsed = identity_code.parse(args.identity_code)
        except identity_code.InvalidIdentityCode as error:
            ctx.reject("invalid_args", str(error), {"field": "identity_code", "reason": error.reason})
        if client.birth_date is not None and client.birth_date != parsed.birth_date:
            ctx.reject(
                "invalid_args",
                "The identity code's date is not the client's birth date.",
                {
                    "field": "identity_code",
                    "reason": "birth_date",
                    "birth_date": client.birth_date.isoformat(),
                },
            )
        code = parsed.code
        holder = await ctx.session.scalar(
            select(ClientIdentity.client_id).where(ClientIdentity.identity_code == code)
        )
        if holder is not None and holder != client.id:
            # Which client holds it is not said: the author may have no basis on that one.
            ctx.reject(
                "duplicate",
                "Another client has this identity code: the two are one person, to be merged.",
                {"field": "identity_code"},
            )
    if await code_of(ctx.session, client.id) != code:
        await set_code(ctx.session, client, code)
        await publish_client(ctx.session, ctx.changes, client)
    return {"client_id": str(client.id), "identity_code_set": code is not None}
