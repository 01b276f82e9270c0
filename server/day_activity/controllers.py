"""Routes: a unit's roster for a day, and its attendance days per client for a month (secretaries, billing).

Both show client data, so both write one access-log entry per client listed, in the same transaction as the
read (`server.access_log.service.record`); if the log cannot be written, the read fails with it (nothing is
returned). The default day and month are today's in Finland (`server.clock`). Unit staff see their own unit (the same scopes they sync:
`unit:{unit_id}`, on a shared tablet only the tablet's unit); the monthly report is also open to admins
(on a shared tablet, for the tablet's unit only: a tablet holds only what its unit needs).

The roster is what a tablet also computes from its synced `schedule` and `attendance` records: every client
scheduled that weekday within the schedule's validity, with the day's attendance state — `expected`,
`checked_in`, `checked_out` or `absent` (with the reason). A day counts as an attendance day when the client
was checked in or out.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import date, datetime, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.params import FromPath, QueryParameter
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.access_log import service as access_log
from server.accounts.principal import Principal
from server.accounts.scopes import scopes_for, unit_scope
from server.clients.models import Client
from server.clock import today_in_finland
from server.day_activity.models import WEEKDAYS, Attendance, Schedule
from server.db import begin_write
from server.deps import CurrentPrincipal, DbSession
from server.errors import Forbidden, KaariError, NotFound
from server.reference.models import Unit

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class RosterEntry(msgspec.Struct):
    client_id: uuid.UUID
    first_name: str
    last_name: str
    schedule_id: uuid.UUID
    state: str  # expected / checked_in / checked_out / absent
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    absent_reason: str | None


class Roster(msgspec.Struct):
    unit_id: uuid.UUID
    date: date
    clients: list[RosterEntry]


class AttendanceDays(msgspec.Struct):
    client_id: uuid.UUID
    first_name: str
    last_name: str
    days: int


class AttendanceDaysReport(msgspec.Struct):
    unit_id: uuid.UUID
    month: str
    clients: list[AttendanceDays]


def attendance_state(row: Attendance | None) -> str:
    if row is None:
        return "expected"
    if row.checked_out_at is not None:
        return "checked_out"
    if row.checked_in_at is not None:
        return "checked_in"
    if row.absent_reason is not None:
        return "absent"
    return "expected"


def month_range(month: str) -> tuple[date, date]:
    found = MONTH.match(month)
    if found is None:
        raise KaariError("month must be YYYY-MM.", code="invalid_args", details={"month": month})
    first = date(int(found[1]), int(found[2]), 1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first, last


async def _unit_access(
    session: AsyncSession, principal: Principal, unit_id: uuid.UUID, *, admin: bool = False
) -> tuple[Unit, str, str]:
    """The unit, and the role and basis the caller reads its clients on; 403 without one."""
    principal.require_user()
    unit = await session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("No such unit.")
    if unit_scope(unit_id) in await scopes_for(session, principal):
        return unit, "unit_staff", f"service_relationship:unit:{unit_id}"
    on_other_tablet = principal.device_kind == "shared" and principal.device_unit_id != unit_id
    if admin and principal.has_role("admin") and not on_other_tablet:
        return unit, "admin", f"billing:unit:{unit_id}"
    raise Forbidden("You have no basis to see this unit's clients.")


class DayActivityController(Controller):
    path = "/api/day-activity"
    tags = ["day activity"]

    @get("/{unit_id:uuid}/roster", operation_id="getRoster")
    async def roster(
        self,
        unit_id: FromPath[uuid.UUID],
        principal: CurrentPrincipal,
        db_session: DbSession,
        day: Annotated[date | None, QueryParameter(name="date")] = None,
    ) -> Roster:
        """Every client scheduled in the unit that day (today by default) and their attendance state. Logged."""
        day = day or today_in_finland()
        await begin_write(db_session)
        unit, role, basis = await _unit_access(db_session, principal, unit_id)
        weekday = WEEKDAYS[day.weekday()]
        rows = (
            await db_session.execute(
                select(Schedule, Client)
                .join(Client, Client.id == Schedule.client_id)
                .where(
                    Schedule.unit_id == unit.id,
                    Schedule.valid_from <= day,
                    or_(Schedule.valid_until.is_(None), Schedule.valid_until >= day),
                )
                .order_by(Client.last_name, Client.first_name, Client.id)
            )
        ).all()
        scheduled = [(s, c) for s, c in rows if weekday in s.weekdays]
        attendance = {
            a.client_id: a
            for a in (
                await db_session.execute(
                    select(Attendance).where(Attendance.unit_id == unit.id, Attendance.date == day)
                )
            ).scalars()
        }
        entries, seen = [], set()
        for schedule, client in scheduled:
            if client.id in seen:  # two schedules covering the day: one line
                continue
            seen.add(client.id)
            a = attendance.get(client.id)
            entries.append(
                RosterEntry(
                    client.id,
                    client.first_name,
                    client.last_name,
                    schedule.id,
                    attendance_state(a),
                    a.checked_in_at if a else None,
                    a.checked_out_at if a else None,
                    a.absent_reason if a and a.checked_in_at is None and a.checked_out_at is None else None,
                )
            )
        record_id = f"{unit.id}:{day.isoformat()}"
        await access_log.record(
            db_session,
            principal.actor(role),
            [
                access_log.Access("roster", "read", basis, client_id=e.client_id, record_id=record_id)
                for e in entries
            ],
        )
        return Roster(unit.id, day, entries)

    @get("/{unit_id:uuid}/attendance-days", operation_id="getAttendanceDays")
    async def attendance_days(
        self,
        request: Request[Any, Any, Any],
        unit_id: FromPath[uuid.UUID],
        principal: CurrentPrincipal,
        db_session: DbSession,
        month: Annotated[str | None, QueryParameter(min_length=7, max_length=7)] = None,
    ) -> Response[Any]:
        """Attendance days per client in a month (this month by default); CSV with `Accept: text/csv`. Logged."""
        month = month or today_in_finland().strftime("%Y-%m")
        first, last = month_range(month)
        await begin_write(db_session)
        unit, role, basis = await _unit_access(db_session, principal, unit_id, admin=True)
        days = func.count(Attendance.id)
        rows = (
            await db_session.execute(
                select(Client.id, Client.first_name, Client.last_name, days)
                .join(Attendance, Attendance.client_id == Client.id)
                .where(
                    Attendance.unit_id == unit.id,
                    Attendance.date >= first,
                    Attendance.date <= last,
                    or_(Attendance.checked_in_at.is_not(None), Attendance.checked_out_at.is_not(None)),
                )
                .group_by(Client.id, Client.first_name, Client.last_name)
                .order_by(Client.last_name, Client.first_name, Client.id)
            )
        ).all()
        report = AttendanceDaysReport(unit.id, month, [AttendanceDays(*row) for row in rows])
        await access_log.record(
            db_session,
            principal.actor(role),
            [
                access_log.Access(
                    "attendance_days", "read", basis, client_id=c.client_id, record_id=f"{unit.id}:{month}"
                )
                for c in report.clients
            ],
        )
        if "text/csv" in request.headers.get("accept", ""):
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(["client_id", "last_name", "first_name", "attendance_days"])
            for c in report.clients:
                writer.writerow([str(c.client_id), c.last_name, c.first_name, c.days])
            return Response(
                out.getvalue(),
                media_type="text/csv",  # Litestar adds "; charset=utf-8"
                headers={
                    "Content-Disposition": f'attachment; filename="attendance-days-{unit.code}-{month}.csv"'
                },
            )
        return Response(report)
