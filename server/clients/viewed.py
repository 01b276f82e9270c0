"""`audit.viewed`: views of client data on a device, offline included, uploaded into the access log.

Each entry becomes one access-log entry with operation `view_offline`, `record_type` = the device's view
name, `record_id` = the client id, `at` = the device's time clamped to [the replica's registration, now]
(like `client_time()`), and the basis the viewer had *at upload time* (`server.clients.access`). A view
without a basis (or of a client id the server does not know) is logged all the same with basis `none`:
the log must show it, so nothing here is rejected for lack of a basis.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from server.access_log.service import Access
from server.clients.access import basis_for_client
from server.clients.models import Client
from server.sync.mutations import MutationContext, mutation

AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]
MAX_ENTRIES = 500


class ViewedEntry(msgspec.Struct, forbid_unknown_fields=True):
    client_id: uuid.UUID
    at: AwareDatetime
    view: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class Viewed(msgspec.Struct, forbid_unknown_fields=True):
    entries: Annotated[list[ViewedEntry], msgspec.Meta(min_length=1, max_length=MAX_ENTRIES)]


@mutation("audit.viewed", args=Viewed, touches=lambda a: (), savepoint=False)  # it rejects nothing
async def viewed(ctx: MutationContext, args: Viewed) -> dict:
    """Log offline views of client data (at most 500 per mutation)."""
    bases: dict[uuid.UUID, tuple[str | None, str]] = {}
    without_basis: list[str] = []
    for entry in args.entries:
        if entry.client_id not in bases:
            client = await ctx.session.get(Client, entry.client_id)
            found = await basis_for_client(ctx.session, ctx.author, client) if client is not None else None
            bases[entry.client_id] = found if found is not None else (None, "none")
            if found is None:
                without_basis.append(str(entry.client_id))
        role, basis = bases[entry.client_id]
        at = max(min(entry.at, ctx.now), ctx.registered_at)
        # The device's (clamped) time is the truth here, not the server's.
        await ctx.log_access(
            role,  # None: the author's first role
            [
                Access(
                    entry.view,
                    "view_offline",
                    basis,
                    client_id=entry.client_id,
                    record_id=str(entry.client_id),
                )
            ],
            at=at,
        )
    return {"logged": len(args.entries), "without_basis": without_basis}
