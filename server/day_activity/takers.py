"""How day-activity schedules take places (declared to `server.places.capacity`): a schedule takes a place on
its weekdays from `valid_from` to `valid_until` (open-ended while null), except on a date the client has a
recorded absence (`attendance.mark_absent`) in the unit.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.day_activity.models import Attendance, Schedule
from server.places.capacity import Occupant, Taker


class ScheduleTakers:
    holds = False

    async def of_unit(self, session: AsyncSession, unit_id: uuid.UUID) -> list[Taker]:
        """Day-activity schedules of the unit; a date with a recorded absence of the client is a gap."""
        schedules = (
            await session.execute(
                select(
                    Schedule.client_id, Schedule.weekdays, Schedule.valid_from, Schedule.valid_until
                ).where(Schedule.unit_id == unit_id)
            )
        ).all()
        if not schedules:
            return []
        absent: dict[uuid.UUID, list[tuple[date, date]]] = {}
        rows = await session.execute(
            select(Attendance.client_id, Attendance.date).where(
                Attendance.unit_id == unit_id, Attendance.absent_reason.is_not(None)
            )
        )
        for client_id, day in rows:
            absent.setdefault(client_id, []).append((day, day))
        return [
            Taker(start, end, tuple(sorted(absent.get(client_id, []))), frozenset(weekdays))
            for client_id, weekdays, start, end in schedules
        ]

    async def occupants(self, session: AsyncSession, first: date, last: date) -> list[Occupant]:
        found: list[Occupant] = []
        absent: dict[tuple[uuid.UUID, uuid.UUID], list[tuple[date, date]]] = defaultdict(list)
        for client_id, unit_id, day in await session.execute(
            select(Attendance.client_id, Attendance.unit_id, Attendance.date).where(
                Attendance.absent_reason.is_not(None), Attendance.date >= first, Attendance.date <= last
            )
        ):
            absent[(client_id, unit_id)].append((day, day))
        for s in (
            await session.execute(
                select(Schedule).where(
                    Schedule.valid_from <= last,
                    or_(Schedule.valid_until.is_(None), Schedule.valid_until >= first),
                )
            )
        ).scalars():
            gap = tuple(sorted(absent[(s.client_id, s.unit_id)]))
            found.append(
                Occupant(
                    s.client_id, s.unit_id, Taker(s.valid_from, s.valid_until, gap, frozenset(s.weekdays))
                )
            )
        return found

    async def served(
        self, session: AsyncSession, start: date, end: date
    ) -> list[tuple[uuid.UUID, uuid.UUID]]:
        query = select(Schedule.unit_id, Schedule.client_id).where(
            Schedule.valid_from <= end, or_(Schedule.valid_until.is_(None), Schedule.valid_until >= start)
        )
        return [(unit_id, client_id) for unit_id, client_id in await session.execute(query)]


SCHEDULES = ScheduleTakers()
