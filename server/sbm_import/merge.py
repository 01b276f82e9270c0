"""`client.merge`: two client records of one person become one, the survivor.

Who: admins (a pair listed as a possible duplicate gives them the basis, `admin_bases`) and counsellors
with a guidance basis on both clients (their area's). Everything that referred to the merged client moves
to the survivor (`server.clients.merges.move_references`): contacts, assessments, applications, referrals,
queue entries, offers, stays, residencies, schedules, attendance, tasks, consents, close persons, service
relationships, the identity code, the source ids of the import and open conflicts. Nothing is counted
anew: statistics count rows, and a moved row is the same row.

What a merge brings together that cannot both be true is raised as a conflict on the survivor, not kept
silently: two active queue entries for one service, and two stays (not cancelled) whose dates overlap. The
outcome is then `conflict`; a person cancels one and resolves the conflict with `kept`.

The same merge sent again (a second device, a replay) is a no-op; a merge of a client already merged into
another survivor is refused with that survivor named.
"""

from __future__ import annotations

import uuid
from itertools import product

import msgspec
from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.access_log.service import Access
from server.accounts.principal import Principal
from server.clients.merges import move_references, republish_moved
from server.clients.models import Client, ClientIdentity, ClientMerge
from server.clients.sync import client_scopes, publish_client
from server.conflicts.models import Conflict
from server.conflicts.service import open_conflict
from server.places.models import Stay
from server.queue.models import ACTIVE_ENTRY_STATUSES, QueueEntry
from server.sbm_import.models import ImportedRecord, PossibleDuplicate
from server.sync import authorisation as auth
from server.sync.authorisation import role_of
from server.sync.mutations import MutationContext, mutation


class MergeClients(msgspec.Struct, forbid_unknown_fields=True):
    client_id: uuid.UUID
    """The survivor: it keeps its id and its fields."""
    merged_client_id: uuid.UUID
    """Its rows move to the survivor; its id names the survivor from now on."""


async def admin_bases(
    session: AsyncSession, principal: Principal, client_ids: set[uuid.UUID]
) -> dict[uuid.UUID, str | None]:
    """Admins have a basis on a client listed in a possible duplicate: deciding it is their task."""
    if not principal.has_role("admin") or not client_ids:
        return {}
    ids = sorted(client_ids)
    rows = await session.execute(
        select(PossibleDuplicate.id, PossibleDuplicate.client_id, PossibleDuplicate.other_client_id).where(
            or_(PossibleDuplicate.client_id.in_(ids), PossibleDuplicate.other_client_id.in_(ids))
        )
    )
    found: dict[uuid.UUID, str | None] = {}
    for pair_id, one, other in rows:
        for client_id in (one, other):
            if client_id in client_ids:
                found.setdefault(client_id, f"admin:possible_duplicate:{pair_id}")
    return found


def _may_merge(ctx: MutationContext, client_id: uuid.UUID) -> bool:
    basis = ctx.resolved.basis(client_id)
    # A client created earlier in the same push is the author's own (they created it in their area).
    return (
        basis.startswith("guidance:")
        or basis == "created_in_batch"
        or (ctx.author.has_role("admin") and basis.startswith("admin:possible_duplicate:"))
    )


@mutation(
    "client.merge",
    args=MergeClients,
    touches=lambda a: (
        auth.Role("admin", "counsellor"),
        auth.Client(a.client_id),
        auth.Client(a.merged_client_id),
    ),
)
async def merge(ctx: MutationContext, args: MergeClients) -> dict:
    """Merge `merged_client_id` into `client_id`."""
    survivor_id, merged_id = args.client_id, args.merged_client_id
    # The push names survivors for merged ids (`redirect_merged`); the device's own ids are in the envelope.
    sent = (ctx.envelope.args or {}) if ctx.envelope else {}
    sent_merged = _uuid(sent.get("merged_client_id")) or merged_id
    done = await ctx.session.get(ClientMerge, sent_merged)
    if done is not None:
        if merged_id == survivor_id:  # merged already, into the survivor this merge names
            return {"client_id": str(survivor_id), "merged_client_id": str(sent_merged), "merged": False}
        ctx.reject(
            "invalid_state",
            "That client was already merged into another.",
            {"survivor_id": str(merged_id)},
        )
    if survivor_id == merged_id:
        ctx.reject("invalid_args", "A client cannot be merged into itself.", {"client_id": str(survivor_id)})
    for client_id in (survivor_id, merged_id):
        if not _may_merge(ctx, client_id):
            ctx.reject(
                "forbidden",
                "Merging needs a guidance basis on both clients (their area's counsellors), or an admin's "
                "possible duplicate.",
                {"client_id": str(client_id)},
            )
    survivor = await ctx.session.get(Client, survivor_id, with_for_update=True)
    merged = await ctx.session.get(Client, merged_id, with_for_update=True)
    if survivor is None or merged is None:
        ctx.reject("unknown_entity", "No such client.")
    codes = {
        row.client_id: row
        for row in (
            await ctx.session.scalars(
                select(ClientIdentity).where(ClientIdentity.client_id.in_([survivor_id, merged_id]))
            )
        )
    }
    kept_code, merged_code = (getattr(codes.get(i), "identity_code", None) for i in (survivor_id, merged_id))
    if kept_code and merged_code and kept_code != merged_code:
        ctx.reject("invalid_state", "The two clients have different identity codes: they are two people.")
    before = await _clashes_before(ctx.session, survivor_id, merged_id)

    # The identity: the survivor's code, else the merged client's (one code, one person).
    if merged_id in codes:
        await ctx.session.delete(codes[merged_id])
        await ctx.session.flush()
    if merged_code and not kept_code:
        if survivor_id in codes:
            codes[survivor_id].identity_code = merged_code
        else:
            ctx.session.add(
                ClientIdentity(
                    client_id=survivor_id,
                    identity_code=merged_code,
                    name_key=codes[merged_id].name_key,
                    birth_date=codes[merged_id].birth_date,
                )
            )
        await ctx.session.flush()
    await ctx.session.execute(
        delete(PossibleDuplicate).where(
            or_(
                (PossibleDuplicate.client_id == survivor_id)
                & (PossibleDuplicate.other_client_id == merged_id),
                (PossibleDuplicate.client_id == merged_id)
                & (PossibleDuplicate.other_client_id == survivor_id),
            )
        )
    )
    old_scopes = await client_scopes(ctx.session, merged)
    moved, dropped, moved_ids, dropped_ids = await move_references(ctx.session, survivor_id, merged_id)
    # Source ids of the import, open conflicts and earlier merges name clients without a foreign key.
    await ctx.session.execute(
        update(ImportedRecord)
        .where(ImportedRecord.kind == "client", ImportedRecord.record_id == merged_id)
        .values(record_id=survivor_id)
    )
    await ctx.session.execute(
        update(Conflict)
        .where(Conflict.record_type == "client", Conflict.record_id == str(merged_id))
        .values(record_id=str(survivor_id))
    )
    await ctx.session.execute(
        update(ClientMerge).where(ClientMerge.survivor_id == merged_id).values(survivor_id=survivor_id)
    )
    summary = {
        "moved": moved,
        "dropped": dropped,
        "merged": {
            "first_name": merged.first_name,
            "last_name": merged.last_name,
            "birth_date": merged.birth_date.isoformat() if merged.birth_date else None,
        },
    }
    ctx.session.add(
        ClientMerge(
            merged_client_id=merged_id,
            survivor_id=survivor_id,
            merged_at=ctx.now,
            merged_by=ctx.user_id,
            mutation_id=ctx.envelope.id if ctx.envelope else None,
            summary=summary,
        )
    )
    await ctx.session.flush()
    ctx.session.expunge(merged)
    await ctx.session.execute(delete(Client).where(Client.id == merged_id))

    # What devices hold: the survivor in both clients' scopes, the moved rows under it, the merged gone.
    await republish_moved(ctx.session, ctx.changes, survivor_id, merged_id, moved_ids, dropped_ids)
    ctx.changes.delete("client", merged_id)
    ctx.changes.delete("client_identity", merged_id)
    await publish_client(ctx.session, ctx.changes, survivor, extra=None)
    scopes = await client_scopes(ctx.session, survivor) | old_scopes
    # The merge in the access log, on both: the merged client's history now reads as the survivor's.
    for client_id in (survivor_id, merged_id):
        basis = ctx.resolved.basis(client_id)
        await ctx.log_access(
            role_of(basis, ctx.author),
            [Access("client_merge", "merge", basis, client_id=client_id, record_id=str(merged_id))],
        )
    for field, kept, proposed in before:
        await open_conflict(ctx, "client", survivor_id, field, kept, proposed, scopes)
    return {
        "client_id": str(survivor_id),
        "merged_client_id": str(merged_id),
        "merged": True,
        "moved": moved,
        "dropped": dropped,
        "conflicts": len(before),
    }


async def _clashes_before(
    session: AsyncSession, survivor_id: uuid.UUID, merged_id: uuid.UUID
) -> list[tuple[str, list[str], list[str]]]:
    """(conflict field, the survivor's rows, the merged client's rows) of what cannot both be true."""
    found = []
    entries = (
        await session.scalars(
            select(QueueEntry)
            .where(
                QueueEntry.client_id.in_([survivor_id, merged_id]),
                QueueEntry.status.in_(ACTIVE_ENTRY_STATUSES),
            )
            .order_by(QueueEntry.entered_at, QueueEntry.id)
        )
    ).all()
    mine = [e for e in entries if e.client_id == survivor_id]
    theirs = [e for e in entries if e.client_id == merged_id]
    for kept, other in product(mine, theirs):
        if kept.service_kind == other.service_kind:
            found.append((f"merge.queue_entry:{other.id}", [str(kept.id)], [str(other.id)]))
    stays = (
        await session.scalars(
            select(Stay)
            .where(Stay.client_id.in_([survivor_id, merged_id]), Stay.status != "cancelled")
            .order_by(Stay.start_date, Stay.id)
        )
    ).all()
    mine_stays = [s for s in stays if s.client_id == survivor_id]
    their_stays = [s for s in stays if s.client_id == merged_id]
    for kept, other in product(mine_stays, their_stays):
        if kept.start_date <= other.end_date and other.start_date <= kept.end_date:
            found.append((f"merge.stay:{other.id}", [str(kept.id)], [str(other.id)]))
    return found


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value is not None else None
    except ValueError:
        return None
