"""Break the glass: `client.break_glass`, access to a client without a basis, for an emergency.

A counsellor or unit staff member who must see a client they have no basis on (a client who collapses at
a service point, a call from a hospital about someone of another area) states why. They get the basis
`break_glass:{grant_id}` on that client for `BREAK_GLASS_HOURS`, the access is logged with that basis, and
every supervisor of the client's area (the admins when the area has none) gets a `break_glass_review` task
naming who opened which record and why. It cannot be done through a shared tablet (only a unit's own
staff act there, on their unit's clients) and needs a signed-in user with a role that sees client records.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

import msgspec
from sqlalchemy import or_, select

from server.access_log.service import Access
from server.accounts.models import RoleAssignment
from server.clients.models import BreakGlassGrant, Client
from server.reference.models import Municipality
from server.sync import authorisation as auth
from server.sync.mutations import MutationContext, mutation
from server.tasks.service import NewTask, open_task

BREAK_GLASS_HOURS = 4
ROLES = ("counsellor", "supervisor", "unit_staff", "coordinator")


class BreakGlass(msgspec.Struct, forbid_unknown_fields=True):
    grant_id: uuid.UUID
    client_id: uuid.UUID
    reason: Annotated[str, msgspec.Meta(min_length=10, max_length=500)]


@mutation(
    "client.break_glass",
    args=BreakGlass,
    touches=lambda a: (auth.Role(*ROLES), auth.AnyClient(a.client_id)),
)
async def break_glass(ctx: MutationContext, args: BreakGlass) -> dict:
    """Open a client's record for `BREAK_GLASS_HOURS` on a stated reason; logged and reviewed."""
    existing = await ctx.session.get(BreakGlassGrant, args.grant_id)
    if existing is not None:
        ctx.require_replay(existing, args, ("client_id", "reason"), "A break-the-glass grant")
        return {"grant_id": str(existing.id), "expires_at": existing.expires_at.isoformat()}
    client = await ctx.session.get(Client, args.client_id)
    assert client is not None  # declared: the push refused an unknown id
    grant = BreakGlassGrant(
        id=args.grant_id,
        client_id=client.id,
        user_id=ctx.user_id,
        device_id=ctx.author.device_id,
        reason=args.reason,
        granted_at=ctx.now,
        expires_at=ctx.now + timedelta(hours=BREAK_GLASS_HOURS),
    )
    ctx.session.add(grant)
    basis = f"break_glass:{grant.id}"
    await ctx.log_access(
        ctx.author.actor().role or "unknown",
        [Access("client", "break_glass", basis, client_id=client.id, record_id=str(grant.id))],
    )
    area_id = await ctx.session.scalar(
        select(Municipality.area_id).where(Municipality.id == client.municipality_id)
    )
    reviewers = (
        await ctx.session.scalars(
            select(RoleAssignment.user_id)
            .where(
                RoleAssignment.role == "supervisor",
                or_(RoleAssignment.area_id == area_id, RoleAssignment.area_id.is_(None)),
                RoleAssignment.unit_id.is_(None),
            )
            .distinct()
        )
    ).all()
    details = {"grant_id": str(grant.id), "reason": args.reason, "by": ctx.author.username}
    for reviewer in sorted(reviewers) or [None]:
        review = NewTask(
            kind="break_glass_review",
            role="supervisor" if reviewer else "admin",
            about_type="break_glass",
            about_id=str(grant.id),
            key=(str(grant.id), str(reviewer)),
            area_id=area_id,
            assignee_id=reviewer,
            client_id=client.id,
            details=details,
        )
        await open_task(ctx.session, ctx.changes, review, ctx.now)
    return {"grant_id": str(grant.id), "expires_at": grant.expires_at.isoformat()}
