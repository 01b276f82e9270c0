"""Attendance mutations: `attendance.check_in`, `attendance.check_out`, `attendance.mark_absent`.

Each one folds its event into the day's single record with the merge rule, so tablets that were offline
together converge on one record, whatever order their events arrive in.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Annotated

import msgspec
from sqlalchemy import select

from server.attendance.models import Attendance
from server.clients.models import ClientUnit
from server.db import dialect_insert
from server.reference.codes import require_code
from server.reference.models import Unit
from server.sync.mutations import MutationContext, mutation
from server.sync.scopes import unit_scope
from sync_protocol import policies

AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]


class CheckIn(msgspec.Struct, forbid_unknown_fields=True):
    client_id: uuid.UUID
    unit_id: uuid.UUID
    date: date
    at: AwareDatetime


class CheckOut(CheckIn):
    pass


class MarkAbsent(msgspec.Struct, forbid_unknown_fields=True):
    client_id: uuid.UUID
    unit_id: uuid.UUID
    date: date
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


def record_data(row: Attendance) -> dict:
    return {
        "id": str(row.id),
        "client_id": str(row.client_id),
        "unit_id": str(row.unit_id),
        "date": row.date.isoformat(),
        **policies.Attendance(
            checked_in_at=row.checked_in_at,
            checked_out_at=row.checked_out_at,
            absent_reason=row.absent_reason,
        ).to_data(),
    }


async def _unit_clients(ctx: MutationContext, unit_id: uuid.UUID) -> set[uuid.UUID] | None:
    if await ctx.session.get(Unit, unit_id) is None:
        return None
    rows = await ctx.session.execute(select(ClientUnit.client_id).where(ClientUnit.unit_id == unit_id))
    return set(rows.scalars())


async def _apply(
    ctx: MutationContext, client_id: uuid.UUID, unit_id: uuid.UUID, day: date, event: policies.Attendance
) -> dict:
    ctx.require_scope(unit_scope(unit_id))
    if day > ctx.now.date() + timedelta(days=1):
        ctx.reject(
            "invalid_date", "Attendance cannot be recorded for a future day.", {"date": day.isoformat()}
        )
    # The unit's clients, read once per push: a batch of check-ins is nearly always for one unit.
    clients = await ctx.cached(("unit_clients", unit_id), lambda: _unit_clients(ctx, unit_id))
    if clients is None:
        ctx.reject("unknown_entity", "No such unit.", {"unit_id": str(unit_id)})
    if client_id not in clients:
        ctx.reject(
            "unknown_entity", "The client is not a client of this unit.", {"client_id": str(client_id)}
        )

    record_id = policies.attendance_id(client_id, unit_id, day)
    # Create-if-missing first, then lock: two tablets' first events of the day, pushed at the same moment,
    # must merge into one record, not fail on the second insert (PostgreSQL runs them concurrently).
    await ctx.session.execute(
        dialect_insert(ctx.session, Attendance)
        .values(id=record_id, client_id=client_id, unit_id=unit_id, date=day, updated_at=ctx.now)
        .on_conflict_do_nothing()
    )
    row = await ctx.session.get(Attendance, record_id, with_for_update=True, populate_existing=True)
    assert row is not None
    current = policies.Attendance(
        checked_in_at=row.checked_in_at, checked_out_at=row.checked_out_at, absent_reason=row.absent_reason
    )
    merged = policies.merge_attendance(current, event)
    row.checked_in_at, row.checked_out_at, row.absent_reason = (
        merged.checked_in_at,
        merged.checked_out_at,
        merged.absent_reason,
    )
    row.updated_by = ctx.user_id
    await ctx.session.flush()
    ctx.changes.put("attendance", row.id, record_data(row), [unit_scope(unit_id)])
    return {"attendance_id": str(row.id)}


@mutation("attendance.check_in", args=CheckIn, savepoint=False)
async def check_in(ctx: MutationContext, args: CheckIn) -> dict:
    """Check a client in; the earliest check-in of the day is kept."""
    return await _apply(
        ctx, args.client_id, args.unit_id, args.date, policies.Attendance(checked_in_at=args.at)
    )


@mutation("attendance.check_out", args=CheckOut, savepoint=False)
async def check_out(ctx: MutationContext, args: CheckOut) -> dict:
    """Check a client out; the latest check-out of the day is kept."""
    return await _apply(
        ctx, args.client_id, args.unit_id, args.date, policies.Attendance(checked_out_at=args.at)
    )


@mutation("attendance.mark_absent", args=MarkAbsent, savepoint=False)
async def mark_absent(ctx: MutationContext, args: MarkAbsent) -> dict:
    """Mark a client absent with a reason from `attendance.absent_reason`; presence wins over absence."""
    await require_code(ctx, "attendance.absent_reason", args.reason)
    return await _apply(
        ctx, args.client_id, args.unit_id, args.date, policies.Attendance(absent_reason=args.reason)
    )
