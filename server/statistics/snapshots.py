"""Monthly statistics of closed months, computed once a night and read from the snapshot afterwards.

The reports a domain declares for snapshots (today the guidance statistics, `server.contacts.statistics`:
contacts, first contacts, events; and the occupancy report, `server.places.reports.occupancy_report`) are computed month by month, each month protected on its
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
from server.db import begin_write, dialect_insert
from server.jobs.registry import NIGHTLY_RETRY, Cron, job
from server.months import MAX_MONTHS, parse_month
from server.months import months as month_starts
from server.statistics.marks import SNAPSHOT_MONTHS, window
from server.statistics.models import StatisticsSnapshot
from server.sync.changes import ChangeSet

assert SNAPSHOT_MONTHS == MAX_MONTHS

Basis = Callable[[AsyncSession, list[str]], Awaitable[dict[str, str]]]


def basis_hash(value: Any) -> str:
    """A short hash of the reference data a report's rows are grouped by (a snapshot's `basis`)."""
    return hashlib.sha256(msgspec.json.encode(value)).hexdigest()[:32]


@dataclass(frozen=True)
class Report:
    name: str
    live: Callable[[AsyncSession, date, date], Awaitable[list[Any]]]
    row: type[msgspec.Struct]
    basis: Basis


REPORTS: dict[str, Report] = {}
"""The reports kept as snapshots, by name: each domain declares its own (`server.domains`)."""


def register(report: Report) -> None:
    known = REPORTS.get(report.name)
    if known is not None and known != report:
        raise TypeError(f"Report {report.name!r} is registered twice.")
    REPORTS[report.name] = report


def _first_day(month: str) -> date:
    return parse_month(month)


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
        spans = month_starts(first, last) if first <= last else []
        if not spans or len(spans) > MAX_MONTHS:
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
