"""`conflict.resolve`: a person decides a contested field.

Who may resolve: admins (`admin` scope), and staff who hold one of the contested record's current scopes
(the unit staff and counsellors who work with that record). The author of the contested change alone is not
enough: they see the conflict in `user:{id}`, but deciding needs the record.

Choices: `kept` keeps the record's current value (no change to the record), `proposed` writes the value the
contested mutation proposed, `value` writes a value given in `value` (validated like the field). The record
is re-published and the conflict becomes `resolved`; resolving it again is rejected `already_resolved`.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

import msgspec

from server.accounts.scopes import ADMIN
from server.conflicts.models import Conflict
from server.conflicts.service import RESOLVERS, publish_conflict
from server.sync import authorisation as auth
from server.sync.mutations import MutationContext, mutation


class ResolveConflict(msgspec.Struct, forbid_unknown_fields=True):
    conflict_id: uuid.UUID
    choice: Literal["kept", "proposed", "value"]
    value: Any = None


@mutation(
    "conflict.resolve", args=ResolveConflict, touches=lambda a: (auth.ClientOf("conflict", a.conflict_id),)
)
async def resolve(ctx: MutationContext, args: ResolveConflict) -> dict:
    """Resolve a conflict with the kept value, the proposed value, or a new value."""
    row = await ctx.session.get(Conflict, args.conflict_id, with_for_update=True)
    if row is None:
        ctx.reject("unknown_entity", "No such conflict.", {"conflict_id": str(args.conflict_id)})
    resolver = RESOLVERS.get(row.record_type)
    if resolver is None:
        ctx.reject("unknown_entity", f"Conflicts on {row.record_type} cannot be resolved here.")
    record_scopes = await resolver.scopes(ctx, row.record_id)
    if record_scopes is None:
        ctx.reject("unknown_entity", "The contested record no longer exists.", {"record_id": row.record_id})
    if ADMIN not in ctx.scopes and not (record_scopes & ctx.scopes):
        ctx.reject("forbidden", "Only an admin or staff who work with this record may resolve the conflict.")
    if row.status == "resolved":
        ctx.reject(
            "already_resolved",
            "This conflict has already been resolved.",
            {"resolution": row.resolution, "resolved_by": str(row.resolved_by)},
        )
    if args.choice == "value" and "value" not in (ctx.envelope.args or {}):
        ctx.reject("invalid_args", "choice `value` needs a `value`.")
    chosen = {"kept": row.kept_value, "proposed": row.proposed_value, "value": args.value}[args.choice]
    if args.choice != "kept":
        await resolver.apply(ctx, row.record_id, row.field, chosen)
        record_scopes = await resolver.scopes(ctx, row.record_id) or record_scopes
    row.status, row.resolution, row.resolved_value = "resolved", args.choice, chosen
    row.resolved_by, row.resolved_at = ctx.user_id, ctx.now
    await ctx.session.flush()
    publish_conflict(ctx, row, record_scopes)
    return {"conflict_id": str(row.id), "value": chosen}
