"""Shared test helpers: replicas, and an independent recomputation of free places from the raw rows.

`recompute` deliberately does not use `server.places.capacity`: it reads the tables and counts, day by day,
in the plainest way, so a bug in the server's computation cannot hide behind itself.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.clock import today_in_finland
from server.demo import DEMO_SHORT_TERM_UNIT, demo_id
from server.places.models import CapacityChange, Residency, ResidencyAbsence, Stay
from server.reference.models import Unit, reference_id
from sync_protocol.client import MemoryStore, Replica, login

STC = reference_id("unit", DEMO_SHORT_TERM_UNIT)  # oulu-stc-1, capacity 4
STC_2 = reference_id("unit", "oulu-stc-2")  # same kind, same area
H24 = reference_id("unit", "oulu-h24-3")  # capacity 15, 13 demo residents
STC_CLIENTS = [str(demo_id("client", f"{DEMO_SHORT_TERM_UNIT}:{n}")) for n in range(2)]
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def other_client(n: int) -> str:
    """A demo client of a day-activity unit (oulu-da-1 has 30)."""
    return str(demo_id("client", f"oulu-da-1:{n}"))


async def replica(http: Any, username: str, **kwargs: Any) -> Replica:
    credentials = await login(http, username, "demo")
    return Replica(MemoryStore(), credentials, http=http, **kwargs)


def day(offset: int) -> str:
    return (today_in_finland() + timedelta(days=offset)).isoformat()


async def recompute(
    session: AsyncSession, unit_id: uuid.UUID, days: list[date]
) -> dict[str, tuple[int, int]]:
    """{date: (capacity, occupied)} for the unit, straight from the tables (in a fresh transaction)."""
    await session.rollback()
    unit = (await session.execute(select(Unit).where(Unit.id == unit_id))).scalar_one()
    changes = (
        (await session.execute(select(CapacityChange).where(CapacityChange.unit_id == unit_id)))
        .scalars()
        .all()
    )
    stays = (
        (await session.execute(select(Stay).where(Stay.unit_id == unit_id, Stay.status == "booked")))
        .scalars()
        .all()
    )
    residencies = (
        (await session.execute(select(Residency).where(Residency.unit_id == unit_id))).scalars().all()
    )
    absences = (await session.execute(select(ResidencyAbsence))).scalars().all()
    result = {}
    for d in days:
        if unit.weekday_capacity:
            name = DAY_NAMES[d.weekday()]
            open_day = unit.opening_days is None or name in unit.opening_days
            capacity = unit.weekday_capacity.get(name, 0) if open_day else 0
        else:
            capacity = unit.capacity
        latest = None
        for c in changes:
            newer = latest is None or (c.created_at, str(c.id)) > (latest.created_at, str(latest.id))
            if c.mode == "absolute" and c.start_date <= d <= c.end_date and newer:
                latest = c
        if latest is not None:
            capacity = latest.places
        for c in changes:
            if c.mode == "delta" and c.start_date <= d <= c.end_date:
                capacity += c.places
        capacity = max(0, capacity)
        occupied = 0
        for s in stays:
            if s.start_date <= d <= s.end_date:
                occupied += 1
        for r in residencies:
            if r.move_in <= d and (r.move_out is None or d <= r.move_out):
                away = False
                for a in absences:
                    if a.residency_id == r.id and a.start_date <= d <= a.end_date:
                        away = True
                if not away:
                    occupied += 1
        result[d.isoformat()] = (capacity, occupied)
    return result


def published(sync: Replica, unit_id: uuid.UUID) -> dict[str, tuple[int, int]]:
    """{date: (capacity, occupied)} from the replica's `free_places` records of the unit."""
    found = {}
    for record in sync.view.records("free_places"):
        data = record.data
        if data["unit_id"] == str(unit_id):
            assert data["free"] == data["capacity"] - data["occupied"]
            found[data["date"]] = (data["capacity"], data["occupied"])
    return found


def window() -> list[date]:
    return [today_in_finland() + timedelta(days=n) for n in range(61)]
