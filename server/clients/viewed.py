"""`audit.viewed`: views of client data on a device, offline included, uploaded into the access log.

Each entry becomes one access-log entry with operation `view_offline`, `record_type` = the device's view
name, `record_id` = the client id, `at` = the device's time clamped to [the replica's registration, now]
(like `client_time()`), and the basis the viewer had *at upload time* (`server.clients.access`). A view
without a basis (or of a client id the server does not know) is logged all the same with basis `none`:
the log must show it, so nothing here is rejected for lack of a basis.

What a device may ask to log is bounded, so a tablet cannot flood the log (and with it every other push
waiting on the log's head lock): a client id the server does not know rejects the mutation (`unknown_entity`:
no device held such a client's data); at most `MAX_WITHOUT_BASIS` clients without a basis per mutation
(`forbidden` past it: a device holds only its scopes' clients, and a role lost since explains a few, not
hundreds); at most `MAX_PER_DEVICE_HOUR` entries per device per hour, counted in the process
(`rate_limited` past it; rejected mutations wait in the device's Needs attention to be sent again).
"""

from __future__ import annotations

import uuid
from collections import deque
from datetime import datetime, timedelta
from typing import Annotated

import msgspec

from server.access_log.service import Access
from server.clients.access import basis_for_client
from server.clients.models import Client
from server.sync.mutations import MutationContext, mutation

AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]
MAX_ENTRIES = 500
MAX_WITHOUT_BASIS = 20
MAX_PER_DEVICE_HOUR = 2000
HOUR = timedelta(hours=1)
# device → (time, entries) of its recent audit.viewed mutations in this process.
_recent: dict[uuid.UUID | None, deque[tuple[datetime, int]]] = {}


def _within_rate(device_id: uuid.UUID | None, now: datetime, count: int) -> bool:
    recent = _recent.setdefault(device_id, deque())
    while recent and now - recent[0][0] > HOUR:
        recent.popleft()
    if sum(n for _, n in recent) + count > MAX_PER_DEVICE_HOUR:
        return False
    recent.append((now, count))
    return True


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
    for client_id in dict.fromkeys(e.client_id for e in args.entries):
        client = await ctx.session.get(Client, client_id)
        if client is None:
            ctx.reject("unknown_entity", "No such client.", {"client_id": str(client_id)})
        found = await basis_for_client(ctx.session, ctx.author, client)
        bases[client_id] = found if found is not None else (None, "none")
        if found is None:
            without_basis.append(str(client_id))
    if len(without_basis) > MAX_WITHOUT_BASIS:
        ctx.reject(
            "forbidden",
            f"At most {MAX_WITHOUT_BASIS} clients outside your scopes per upload of views.",
            {"without_basis": len(without_basis)},
        )
    if not _within_rate(ctx.author.device_id, ctx.now, len(args.entries)):
        ctx.reject(
            "rate_limited",
            f"At most {MAX_PER_DEVICE_HOUR} logged views per device per hour; send again later.",
            {"max_per_hour": MAX_PER_DEVICE_HOUR},
        )
    for entry in args.entries:
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
