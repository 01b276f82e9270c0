"""Monthly statistics of closed months, computed once a night and read from the snapshot afterwards.

The guidance statistics (`server.contacts.statistics`: contacts, first contacts, events) and the occupancy
report (`server.places.reports.occupancy_report`) are computed month by month, each month protected on its
own (no sum over months is published), so one month's rows do not depend on the other months asked for.
A closed month's rows only change when something late arrives for it (an offline upload, a correction) or
the reference data they are grouped by changes. So:

- `statistics.snapshot_months` (nightly) stores, for each report and each of the 24 closed months before
  the current one, the rows the live computation gives, with the month's `generation` and the `basis`
  (a hash of the reference data: areas, service points and code lists for guidance; the units' places and
  the month's capacity changes for occupancy). It computes only what is missing or out of date.
- `report(name)` is what the controllers call: the months of the span that have a current snapshot
  (same generation, same basis, inside the window) come from it; the others (the current month, a month
  marked by a late change and not yet recomputed, months before the window) are computed live, exactly as
  before. The answer is the same either way; only the time differs.
- A late change raises the month's `generation` in its own transaction (`server.statistics.marks`), so the
  snapshot stops being used at the commit that made it stale, and the next night recomputes it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.clock import today_in_finland
from server.contacts import statistics as guidance
from server.db import begin_write, dialect_insert
from server.jobs.registry import NIGHTLY_RETRY, Cron, job
from server.places import reports as places
from server.places.models import CapacityChange
from server.reference.models import Area, CodeList, ServicePoint, Unit
from server.statistics.marks import SNAPSHOT_MONTHS, window
from server.statistics.models import StatisticsSnapshot
from server.sync.changes import ChangeSet

assert SNAPSHOT_MONTHS == places.MAX_MONTHS

Basis = Callable[[AsyncSession, list[str]], Awaitable[dict[str, str]]]


def _hash(value: Any) -> str:
    return hashlib.sha256(msgspec.json.encode(value)).hexdigest()[:32]


async def guidance_basis(session: AsyncSession, months: list[str]) -> dict[str, str]:
    """The same for every month: the areas, the service points and the guidance code lists (with their flags)."""
    areas = (await session.execute(select(Area.id, Area.code).order_by(Area.code))).all()
    points = (
        await session.execute(
            select(ServicePoint.id, ServicePoint.area_id, ServicePoint.code).order_by(ServicePoint.code)
        )
    ).all()
    lists = (
        await session.execute(
            select(CodeList.id, CodeList.codes).where(
                CodeList.id.in_(sorted(set(guidance.CODE_LISTS.values())))
            )
        )
    ).all()
    basis = _hash(
        [
            [tuple(map(str, a)) for a in areas],
            [tuple(map(str, p)) for p in points],
            sorted(tuple(row) for row in lists),
        ]
    )
    return dict.fromkeys(months, basis)


async def occupancy_basis(session: AsyncSession, months: list[str]) -> dict[str, str]:
    """Per month: every unit's places, and the capacity changes overlapping the month."""
    units = [
        (str(u.id), u.code, str(u.area_id), u.kind, u.capacity, u.weekday_capacity, u.opening_days)
        for u in (await session.execute(select(Unit).order_by(Unit.code))).scalars()
    ]
    spans = {m: (places.parse_month(m), places.month_end(places.parse_month(m))) for m in months}
    changes = (
        (
            await session.execute(
                select(CapacityChange)
                .where(
                    CapacityChange.start_date <= max(e for _, e in spans.values()),
                    CapacityChange.end_date >= min(s for s, _ in spans.values()),
                )
                .order_by(CapacityChange.id)
            )
        )
        .scalars()
        .all()
        if months
        else []
    )
    found = {}
    for month, (first, last) in spans.items():
        overlapping = [
            (str(c.id), str(c.unit_id), c.start_date, c.end_date, c.mode, c.places, c.created_at)
            for c in changes
            if c.start_date <= last and c.end_date >= first
        ]
        found[month] = _hash([units, overlapping])
    return found


@dataclass(frozen=True)
class Report:
    name: str
    live: Callable[[AsyncSession, date, date], Awaitable[list[Any]]]
    row: type[msgspec.Struct]
    basis: Basis


REPORTS = {
    r.name: r
    for r in (
        Report("guidance.contacts", guidance.contacts_report, guidance.ContactCountRow, guidance_basis),
        Report(
            "guidance.first_contact", guidance.first_contact_report, guidance.FirstContactRow, guidance_basis
        ),
        Report("guidance.events", guidance.events_report, guidance.EventRow, guidance_basis),
        Report("places.occupancy", places.occupancy_report, places.OccupancyRow, occupancy_basis),
    )
}


def _first_day(month: str) -> date:
    return places.parse_month(month)


async def _current(session: AsyncSession, spec: Report, months: list[str]) -> dict[str, list[Any]]:
    """The months with a current snapshot, and its rows."""
    if not months:
        return {}
    rows = (
        await session.execute(
            select(StatisticsSnapshot.month, StatisticsSnapshot.rows)
            .where(
                StatisticsSnapshot.report == spec.name,
                StatisticsSnapshot.month.in_(months),
                StatisticsSnapshot.rows.is_not(None),
                StatisticsSnapshot.computed_generation == StatisticsSnapshot.generation,
                StatisticsSnapshot.basis.is_not(None),
            )
            .add_columns(StatisticsSnapshot.basis)
        )
    ).all()
    if not rows:
        return {}
    basis = await spec.basis(session, [m for m, _, _ in rows])
    return {m: msgspec.convert(data, list[spec.row]) for m, data, b in rows if basis[m] == b}


def report(name: str) -> Callable[[AsyncSession, date, date], Awaitable[list[Any]]]:
    """The report `name` over first..last (first days of months), from snapshots where they are current."""
    spec = REPORTS[name]

    async def read(session: AsyncSession, first: date, last: date) -> list[Any]:
        spans = places.months(first, last) if first <= last else []
        if not spans or len(spans) > places.MAX_MONTHS:
            return await spec.live(session, first, last)  # the live report says what is wrong with the span
        names = [m.strftime("%Y-%m") for m in spans]
        kept = await _current(session, spec, sorted(set(names) & set(window(today_in_finland()))))
        rows: list[Any] = []
        run: list[str] = []
        for month in [*names, None]:
            if month is not None and month not in kept:
                run.append(month)  # consecutive months without a snapshot: one live computation
                continue
            if run:
                rows += await spec.live(session, _first_day(run[0]), _first_day(run[-1]))
                run = []
            if month is not None:
                rows += kept[month]
        return rows

    return read


# --- the nightly job -----------------------------------------------------------------------------------------


async def _stale(session: AsyncSession, spec: Report, months: list[str]) -> list[str]:
    """The months of the window whose snapshot is missing, marked, or computed against other reference data."""
    current = await _current(session, spec, months)
    return [m for m in months if m not in current]


async def refresh(session: AsyncSession, spec: Report, month: str, now: datetime) -> None:
    """Compute one month of one report and store it with the generation and basis it was computed at.

    Read in one snapshot of the database (REPEATABLE READ on PostgreSQL, a read transaction on SQLite),
    generation first: a change committed after that read raises the generation past the one stored here,
    so the snapshot is never taken as current for data it did not see.
    """
    if session.bind.dialect.name == "postgresql":
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    generation = await session.scalar(
        select(StatisticsSnapshot.generation).where(
            StatisticsSnapshot.report == spec.name, StatisticsSnapshot.month == month
        )
    )
    basis = (await spec.basis(session, [month]))[month]
    rows = msgspec.to_builtins(await spec.live(session, _first_day(month), _first_day(month)))
    await session.rollback()  # end the read; the write takes the write lock (SQLite) only for the upsert
    await begin_write(session)
    table = StatisticsSnapshot.__table__
    values = {"rows": rows, "basis": basis, "computed_generation": generation or 0, "computed_at": now}
    insert = dialect_insert(session, table).values(report=spec.name, month=month, generation=0, **values)
    await session.execute(insert.on_conflict_do_update(index_elements=["report", "month"], set_=values))
    await session.commit()


@job("statistics.snapshot_months", cron=Cron(hour=2, minute=30), retry=NIGHTLY_RETRY, timeout=3600)
async def snapshot_months(session: AsyncSession, now: datetime) -> tuple[dict[str, int], ChangeSet]:
    """Snapshot every report's closed months that lack a current snapshot; drop those past the window.

    Each month is its own pair of transactions (read, then write): a run cut short keeps the months it
    stored and the next run does the rest. Returns the months computed per report and how many were dropped.
    """
    months = window(today_in_finland(now))
    done: dict[str, int] = {}
    for spec in REPORTS.values():
        stale = await _stale(session, spec, months)
        await session.rollback()
        for month in stale:
            await refresh(session, spec, month, now)
        done[spec.name] = len(stale)
    await begin_write(session)
    dropped = await session.execute(
        StatisticsSnapshot.__table__.delete().where(StatisticsSnapshot.month < months[0])
    )
    return {**done, "dropped": dropped.rowcount}, ChangeSet()
