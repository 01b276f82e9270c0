"""Day-activity mutations: `schedule.set`, `schedule.end`, `headcount.record`; and the hooks the attendance
mutations call (`follow_up_no_show`, `absence_changed`).

Rules:
- `schedule.set` (unit staff of the unit, `unit:{unit_id}`, or a coordinator, `places`): creates the
  schedule, or replaces the weekdays and validity of an existing one (same client and unit, else
  `duplicate`). A weekday the unit is not open is `unit_closed`. The schedule takes a place on each
  scheduled weekday within its validity: under the unit's capacity lock, a scheduled date that goes over
  capacity (or further over) is `capacity_exhausted` with `details.alternatives` (day-activity units of the
  same area with a free place on every such date). The client gets a service relationship to the unit.
- `schedule.end`: sets the last day (`valid_until`, not before `valid_from`); a later date than before is
  capacity-checked like a new schedule.
- After either, the schedule (`schedule`, in `unit:{unit_id}`) and the unit's `free_places` are published.
- A recorded absence frees the client's place that day: when an attendance record gains or loses its
  absence on a scheduled day, the unit's free places are republished (`absence_changed`).
- `attendance.mark_absent` with reason `no_show` creates one `call_family` task for the unit's staff per
  attendance record (`follow_up_no_show`, in `server.tasks`; id uuid5(attendance id, "no_show"), so a
  second tablet's mark creates nothing). The task (`task`, in `unit:{unit_id}`) is completed by the unit's
  staff with `task.complete` and an outcome.
- "Today" is the date in Finland (`server.clock`). `schedule.*` lock their units in ascending unit id for the
  whole push batch before the first one runs (`server.places.mutations.prepare_unit_locks`).
- `headcount.record` (unit staff of the unit): a count ≥ 0 for a date, with an optional note; re-sending
  the same id with the same content is a no-op, other content is `duplicate`. It asks for
  `day_activity.headcount_drift` for the unit and date (an outbox row in the same transaction): a count
  that differs from the computed occupancy opens a task for the unit (a count of 0 is not compared:
  `server.day_activity.jobs`).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Annotated, Literal

import msgspec
from sqlalchemy import select

from server.accounts.scopes import unit_scope
from server.clock import today_in_finland
from server.day_activity.jobs import UnitDay
from server.day_activity.models import NO_SHOW, WEEKDAYS, Attendance, HeadCount, Schedule
from server.jobs import outbox
from server.places.capacity import (
    alternatives,
    days_to_check,
    load_state,
    lock_unit,
    overbooked,
    publish_free_places,
)
from server.places.mutations import (
    lock_units_in_args,
    locked_row,
    locked_unit,
    prepare_unit_locks,
    require_unit_or_places,
    serve_client,
    units_of_rows,
)
from server.reference.models import Unit
from server.sync import authorisation as auth
from server.sync.mutations import MutationContext, mutation
from server.tasks.service import NewTask, no_show_task_id, open_task

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]  # models.WEEKDAYS
Note = Annotated[str, msgspec.Meta(max_length=500)]


class SetSchedule(msgspec.Struct, forbid_unknown_fields=True):
    schedule_id: uuid.UUID
    client_id: uuid.UUID
    unit_id: uuid.UUID
    weekdays: Annotated[list[Weekday], msgspec.Meta(min_length=1, max_length=7)]
    valid_from: date
    valid_until: date | None = None


class EndSchedule(msgspec.Struct, forbid_unknown_fields=True):
    schedule_id: uuid.UUID
    valid_until: date


class RecordHeadCount(msgspec.Struct, forbid_unknown_fields=True):
    headcount_id: uuid.UUID
    unit_id: uuid.UUID
    date: date
    count: Annotated[int, msgspec.Meta(ge=0)]
    note: Note | None = None


# --- records ------------------------------------------------------------------------------------------------


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def schedule_data(row: Schedule) -> dict:
    return {
        "id": str(row.id),
        "client_id": str(row.client_id),
        "unit_id": str(row.unit_id),
        "weekdays": list(row.weekdays),
        "valid_from": row.valid_from.isoformat(),
        "valid_until": _iso(row.valid_until),
    }


def headcount_data(row: HeadCount) -> dict:
    return {
        "id": str(row.id),
        "unit_id": str(row.unit_id),
        "date": row.date.isoformat(),
        "count": row.count,
        "note": row.note,
    }


def open_days(unit: Unit) -> set[str]:
    """The weekdays a unit is open: its `opening_days`, else the weekdays with places."""
    if unit.opening_days is not None:
        return set(unit.opening_days)
    if unit.weekday_capacity:
        return {day for day, places in unit.weekday_capacity.items() if places > 0}
    return set(WEEKDAYS)


# --- schedules ----------------------------------------------------------------------------------------------


def _require_period(ctx: MutationContext, start: date, end: date | None) -> None:
    if end is not None and end < start:
        ctx.reject(
            "invalid_date", "The schedule ends before it starts.", {"start": str(start), "end": str(end)}
        )


async def _check_and_publish(
    ctx: MutationContext, unit: Unit, before, weekdays: set[str], start: date, end: date | None
) -> None:
    """Refuse if a scheduled date of start..end (None: open) went over capacity; else publish free places."""
    await ctx.session.flush()
    after = await load_state(ctx.session, unit)
    today = today_in_finland(ctx.now)
    days = [
        d
        for d in days_to_check(max(start, today), end, [before, after], today)
        if WEEKDAYS[d.weekday()] in weekdays
    ]
    bad = overbooked(before, after, days)
    if bad:
        details = {
            "unit_id": str(unit.id),
            "dates": [d.isoformat() for d in bad[:31]],
            "alternatives": await alternatives(ctx.session, unit, bad),
        }
        ctx.reject("capacity_exhausted", "No free place in the unit on these days.", details)
    publish_free_places(ctx.changes, after, today)


@mutation(
    "schedule.set",
    args=SetSchedule,
    capacity_taking=True,
    prepare=lock_units_in_args,
    touches=auth.placing,
)
async def set_schedule(ctx: MutationContext, args: SetSchedule) -> dict:
    """Create or replace a client's weekly schedule in a day-activity unit; capacity-checked."""
    require_unit_or_places(ctx, args.unit_id)
    _require_period(ctx, args.valid_from, args.valid_until)
    unit, before = await locked_unit(ctx, args.unit_id, "day_activity")
    weekdays = set(args.weekdays)
    closed = sorted(weekdays - open_days(unit), key=WEEKDAYS.index)
    if closed:
        ctx.reject("unit_closed", "The unit is not open on these weekdays.", {"weekdays": closed})
    schedule = await ctx.session.get(Schedule, args.schedule_id, populate_existing=True)
    if schedule is not None and (schedule.client_id, schedule.unit_id) != (args.client_id, args.unit_id):
        ctx.reject("duplicate", "A schedule with this id already exists for another client or unit.")
    await serve_client(ctx, args.client_id, args.unit_id, args.valid_from, args.valid_until)
    if schedule is None:
        schedule = Schedule(id=args.schedule_id, client_id=args.client_id, unit_id=args.unit_id)
        ctx.session.add(schedule)
    schedule.weekdays = sorted(weekdays, key=WEEKDAYS.index)
    schedule.valid_from, schedule.valid_until = args.valid_from, args.valid_until
    schedule.updated_by, schedule.updated_at = ctx.user_id, ctx.now
    await _check_and_publish(ctx, unit, before, weekdays, args.valid_from, args.valid_until)
    ctx.changes.put("schedule", schedule.id, schedule_data(schedule), [unit_scope(unit.id)])
    return {"schedule_id": str(schedule.id)}


@mutation(
    "schedule.end",
    args=EndSchedule,
    capacity_taking=True,
    prepare=prepare_unit_locks(units_of_rows(Schedule, "schedule_id")),
    touches=lambda a: (auth.ClientOf("schedule", a.schedule_id),),
)
async def end_schedule(ctx: MutationContext, args: EndSchedule) -> dict:
    """Set the schedule's last day; a later last day than before is capacity-checked."""
    schedule, unit, before = await locked_row(ctx, Schedule, args.schedule_id, "schedule")
    _require_period(ctx, schedule.valid_from, args.valid_until)
    schedule.valid_until, schedule.updated_by, schedule.updated_at = args.valid_until, ctx.user_id, ctx.now
    await _check_and_publish(ctx, unit, before, set(schedule.weekdays), schedule.valid_from, None)
    ctx.changes.put("schedule", schedule.id, schedule_data(schedule), [unit_scope(unit.id)])
    return {"schedule_id": str(schedule.id)}


# --- hooks of the attendance mutations (they run without a savepoint: nothing here rejects) -------------------


async def absence_changed(ctx: MutationContext, row: Attendance) -> None:
    """An attendance record gained or lost its absence: republish the unit's free places if a schedule of
    the client covers that date within the published window."""
    today = today_in_finland(ctx.now)
    if not today <= row.date <= today + timedelta(days=60):
        return
    weekday = WEEKDAYS[row.date.weekday()]
    schedules = await ctx.session.execute(
        select(Schedule.weekdays, Schedule.valid_from, Schedule.valid_until).where(
            Schedule.client_id == row.client_id, Schedule.unit_id == row.unit_id
        )
    )
    if not any(
        weekday in days and start <= row.date and (end is None or row.date <= end)
        for days, start, end in schedules
    ):
        return
    unit = await lock_unit(ctx.session, row.unit_id)
    if unit is not None:
        await ctx.session.flush()
        publish_free_places(ctx.changes, await load_state(ctx.session, unit), today)


async def follow_up_no_show(ctx: MutationContext, row: Attendance) -> None:
    """Open the no-show's `call_family` task for the unit's staff once (however many tablets marked it)."""
    if row.absent_reason != NO_SHOW:  # a presence won over the absence
        return
    new = NewTask(
        kind="call_family",
        role="unit_staff",
        about_type="attendance",
        about_id=str(row.id),
        id=no_show_task_id(row.id),
        unit_id=row.unit_id,
        client_id=row.client_id,
        date=row.date,
    )
    await open_task(ctx.session, ctx.changes, new, ctx.now)


# --- head counts ------------------------------------------------------------------------------------------


@mutation("headcount.record", args=RecordHeadCount, touches=lambda a: (auth.Unit(a.unit_id),))
async def record_headcount(ctx: MutationContext, args: RecordHeadCount) -> dict:
    """Record a head count of the unit for a date."""
    ctx.require_scope(unit_scope(args.unit_id))
    if await ctx.session.get(Unit, args.unit_id) is None:
        ctx.reject("unknown_entity", "No such unit.", {"unit_id": str(args.unit_id)})
    existing = await ctx.session.get(HeadCount, args.headcount_id)
    if existing is not None:
        ctx.require_replay(existing, args, ("unit_id", "date", "count", "note"), "A head count")
        return {"headcount_id": str(existing.id)}
    row = HeadCount(
        id=args.headcount_id,
        unit_id=args.unit_id,
        date=args.date,
        count=args.count,
        note=args.note,
        created_at=ctx.now,
        created_by=ctx.user_id,
    )
    ctx.session.add(row)
    await ctx.session.flush()
    ctx.changes.put("headcount", row.id, headcount_data(row), [unit_scope(row.unit_id)])
    key = f"{row.unit_id}:{row.date.isoformat()}"
    await outbox.add(ctx.session, "day_activity.headcount_drift", key, UnitDay(row.unit_id, row.date))
    return {"headcount_id": str(row.id)}
