"""Attendance mutations: `attendance.check_in`, `attendance.check_out`, `attendance.mark_absent`.

Each one folds its event into the day's single record with the merge rule, so tablets that were offline
together converge on one record, whatever order their events arrive in.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any

import msgspec
from sqlalchemy import bindparam, insert, select, update

from server.accounts.scopes import unit_scope
from server.clients.models import ClientUnit
from server.clock import date_in_finland
from server.day_activity import anomalies
from server.day_activity.models import NO_SHOW, Attendance
from server.day_activity.mutations import absence_changed, follow_up_no_show
from server.db import dialect_insert
from server.reference.models import CodeList, Unit
from server.sync import authorisation as auth
from server.sync.mutations import MutationContext, mutation
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


@dataclass(slots=True)
class Record:
    """An attendance row as one push holds it: read and locked once, merged in memory, written once."""

    id: uuid.UUID
    client_id: uuid.UUID
    unit_id: uuid.UUID
    date: date
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    absent_reason: str | None
    dirty: bool = False
    new: bool = False  # not in the table yet: inserted, with its merged values, when written


ATTENDANCE = Attendance.__table__
_COLUMNS = [  # the fields of `Record`, in order
    ATTENDANCE.c[name]
    for name in ("id", "client_id", "unit_id", "date", "checked_in_at", "checked_out_at", "absent_reason")
]
_LOCK = (
    select(*_COLUMNS)
    .where(ATTENDANCE.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(ATTENDANCE.c.id)
    .with_for_update()
)
_UPDATE = (
    update(ATTENDANCE)
    .where(ATTENDANCE.c.id == bindparam("key"))
    .values(
        checked_in_at=bindparam("checked_in_at"),
        checked_out_at=bindparam("checked_out_at"),
        absent_reason=bindparam("absent_reason"),
        updated_at=bindparam("updated_at"),
        updated_by=bindparam("updated_by"),
    )
)


def record_data(row: Attendance | Record) -> dict:
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


async def _problem(
    ctx: MutationContext, client_id: uuid.UUID, unit_id: uuid.UUID, day: date, absence: bool = False
) -> tuple | None:
    """Why this event cannot be recorded (code, message, details), or None. Presence is recorded up to
    today in Finland; an absence also for tomorrow (a client calls in the day before)."""
    if unit_scope(unit_id) not in ctx.scopes:
        return (
            "forbidden",
            "You may not change data outside your units and areas.",
            {"scope": unit_scope(unit_id)},
        )
    latest = date_in_finland(ctx.now) + timedelta(days=1 if absence else 0)
    if day > latest:
        message = (
            "An absence can be recorded up to tomorrow."
            if absence
            else "A presence cannot be recorded for a future day."
        )
        return "invalid_date", message, {"date": day.isoformat(), "latest": latest.isoformat()}
    # The unit's clients, read once per push: a batch of check-ins is nearly always for one unit.
    clients = await ctx.cached(("unit_clients", unit_id), lambda: _unit_clients(ctx, unit_id))
    if clients is None:
        return "unknown_entity", "No such unit.", {"unit_id": str(unit_id)}
    if client_id not in clients:
        return "unknown_entity", "The client is not a client of this unit.", {"client_id": str(client_id)}
    return None


def _record_id(ctx: MutationContext, client_id: uuid.UUID, unit_id: uuid.UUID, day: date) -> uuid.UUID:
    key = ("attendance_id", client_id, unit_id, day)
    if key not in ctx.cache:  # a name-based UUID: worth computing once per push, not in prepare and apply
        ctx.cache[key] = policies.attendance_id(client_id, unit_id, day)
    return ctx.cache[key]


async def _lock_rows(ctx: MutationContext, keys: dict[uuid.UUID, tuple]) -> None:
    """Read and lock the records, in id order, into the push's cache; the missing ones are new records.

    On PostgreSQL, which runs pushes concurrently, the missing records are created first and then locked:
    two tablets' first events of the day, pushed at the same moment, merge into one record instead of
    failing on the second insert; locking in id order means two batches cannot deadlock. On SQLite the push
    holds the database's only write lock, so no other writer can create them: they are inserted once, with
    their merged values, when the push writes (one write per record instead of two).
    """
    ids = sorted(keys)
    conn = await ctx.session.connection()
    if conn.dialect.name == "postgresql":
        missing = [{"id": i, **_key_columns(keys[i]), "updated_at": ctx.now} for i in ids]
        await conn.execute(dialect_insert(ctx.session, ATTENDANCE).on_conflict_do_nothing(), missing)
    rows = await conn.execute(_LOCK, {"ids": ids})
    for row in rows:
        ctx.cache[("attendance", row.id)] = Record(*row)
    for i in ids:
        if ("attendance", i) not in ctx.cache:
            ctx.cache[("attendance", i)] = Record(i, *keys[i], None, None, None, new=True)


def _key_columns(key: tuple) -> dict[str, Any]:
    client_id, unit_id, day = key
    return {"client_id": client_id, "unit_id": unit_id, "date": day}


async def prepare(ctx: MutationContext, batch: list[CheckIn | CheckOut | MarkAbsent]) -> None:
    """Lock every attendance record the push will touch, in two statements for the whole batch."""
    keys: dict[uuid.UUID, tuple] = {}
    for args in batch:
        absence = isinstance(args, MarkAbsent)
        if await _problem(ctx, args.client_id, args.unit_id, args.date, absence) is not None:
            continue
        if absence and args.reason not in await _absent_reasons(ctx):
            continue
        record_id = _record_id(ctx, args.client_id, args.unit_id, args.date)
        keys[record_id] = (args.client_id, args.unit_id, args.date)
    if keys:
        await _lock_rows(ctx, keys)
    # Check-ins uploaded late may put a client in two units on one day: one outbox row for the batch, in
    # its transaction (a check-in rejected later in the batch only makes the check find nothing).
    await anomalies.attendance_uploaded(
        ctx.session, [(a.client_id, a.date) for a in batch if not isinstance(a, MarkAbsent)]
    )


async def _write(ctx: MutationContext, records: list[Record]) -> None:
    """Write the merged records: one executemany for the new ones, one for the changed ones."""
    inserts, updates = [], []
    for r in records:
        if not r.dirty:
            continue
        row = {
            "checked_in_at": r.checked_in_at,
            "checked_out_at": r.checked_out_at,
            "absent_reason": r.absent_reason,
            "updated_at": ctx.now,
            "updated_by": ctx.user_id,
        }
        if r.new:
            inserts.append(
                {**row, "id": r.id, "client_id": r.client_id, "unit_id": r.unit_id, "date": r.date}
            )
        else:
            updates.append({**row, "key": r.id})
        r.dirty = r.new = False
    conn = await ctx.session.connection()
    if inserts:
        await conn.execute(insert(ATTENDANCE), inserts)
    if updates:
        await conn.execute(_UPDATE, updates)


def _write_all(ctx: MutationContext) -> Callable[[], Awaitable[None]]:
    return lambda: _write(ctx, [v for k, v in ctx.cache.items() if k[0] == "attendance" and v.dirty])


async def _absent_reasons(ctx: MutationContext) -> set[str]:
    async def load() -> set[str]:
        code_list = await ctx.session.get(CodeList, "attendance.absent_reason")
        return code_list.active_codes() if code_list else set()

    return await ctx.cached(("codes", "attendance.absent_reason"), load)


async def _apply(
    ctx: MutationContext, client_id: uuid.UUID, unit_id: uuid.UUID, day: date, event: policies.Attendance
) -> dict:
    problem = await _problem(ctx, client_id, unit_id, day, event.absent_reason is not None)
    if problem is not None:
        ctx.reject(*problem)
    record_id = _record_id(ctx, client_id, unit_id, day)
    row = ctx.cache.get(("attendance", record_id))
    if row is None:  # not prepared with its batch
        await _lock_rows(ctx, {record_id: (client_id, unit_id, day)})
        row = ctx.cache[("attendance", record_id)]
    current = policies.Attendance(
        checked_in_at=row.checked_in_at, checked_out_at=row.checked_out_at, absent_reason=row.absent_reason
    )
    merged = policies.merge_attendance(current, event)
    was_absent = row.absent_reason is not None
    row.checked_in_at, row.checked_out_at, row.absent_reason = (
        merged.checked_in_at,
        merged.checked_out_at,
        merged.absent_reason,
    )
    row.dirty = True
    ctx.changes.put("attendance", row.id, record_data(row), [unit_scope(unit_id)])
    if was_absent != (row.absent_reason is not None):  # a scheduled place taken or freed
        await _write(ctx, [row])  # the free places are recomputed from the table: it must be current
        await absence_changed(ctx, row)
    else:
        ctx.deferred.add(prepare, _write_all(ctx))
    return {"attendance_id": str(row.id)}


@mutation("attendance.check_in", args=CheckIn, savepoint=False, prepare=prepare, touches=auth.in_unit)
async def check_in(ctx: MutationContext, args: CheckIn) -> dict:
    """Check a client in; the earliest check-in of the day is kept."""
    return await _apply(
        ctx, args.client_id, args.unit_id, args.date, policies.Attendance(checked_in_at=args.at)
    )


@mutation("attendance.check_out", args=CheckOut, savepoint=False, prepare=prepare, touches=auth.in_unit)
async def check_out(ctx: MutationContext, args: CheckOut) -> dict:
    """Check a client out; the latest check-out of the day is kept."""
    return await _apply(
        ctx, args.client_id, args.unit_id, args.date, policies.Attendance(checked_out_at=args.at)
    )


@mutation("attendance.mark_absent", args=MarkAbsent, savepoint=False, prepare=prepare, touches=auth.in_unit)
async def mark_absent(ctx: MutationContext, args: MarkAbsent) -> dict:
    """Mark a client absent with a reason from `attendance.absent_reason`; presence wins over absence."""
    if args.reason not in await _absent_reasons(ctx):
        ctx.reject(
            "invalid_code",
            f"{args.reason!r} is not an active code of attendance.absent_reason.",
            {"list": "attendance.absent_reason", "code": args.reason},
        )
    result = await _apply(
        ctx, args.client_id, args.unit_id, args.date, policies.Attendance(absent_reason=args.reason)
    )
    if args.reason == NO_SHOW:
        row = ctx.cache[("attendance", _record_id(ctx, args.client_id, args.unit_id, args.date))]
        await follow_up_no_show(ctx, row)
    return result
