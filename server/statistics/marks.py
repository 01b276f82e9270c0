"""Late changes to closed months: each raises the month's snapshot `generation`, so the snapshot is not used
until the nightly job has computed it again (`server.statistics.snapshots`).

A change observer (`server.sync.changes.observe`, declared by the statistics domain): `ChangeSet.flush`
tells it every record change of the transaction, its data before and after, inside the writing
transaction: whatever writes a synced record (a mutation pushed by a tablet that was offline for a week, a
job, the ORM or a Core statement) marks the months it touches, and the mark commits with the change or not at all. Only months inside the snapshot window (the 24 months
before the current one) are marked; most changes are about today and cost one string comparison.

What each record moves:

| record | reports | months |
|---|---|---|
| `contact` | `guidance.contacts`, `guidance.first_contact` | its `month` before and after |
| `event` | `guidance.events` | its `month` before and after |
| `stay` | `places.occupancy` | where its period changed; all of it if its status, unit or client changed |
| `residency` | `places.occupancy` | where its move-in/out or an absence changed; all of it if its unit or client changed |
| `schedule` | `places.occupancy` | where its validity changed; all of it if its weekdays, unit or client changed |
| `attendance` | `places.occupancy` | its date, if the absence changed |

Capacity changes and the units' places are not records of their own: they are part of the occupancy
snapshot's `basis` instead, checked when a snapshot is read.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from server.clock import today_in_finland
from server.statistics.models import StatisticsSnapshot

SNAPSHOT_MONTHS = 24
"""Closed months kept as snapshots: the longest span a report is asked for (`server.months.MAX_MONTHS`)."""
CONTACTS = ("guidance.contacts", "guidance.first_contact")
EVENTS = ("guidance.events",)
OCCUPANCY = ("places.occupancy",)
TRACKED = frozenset({"contact", "event", "stay", "residency", "schedule", "attendance"})
record_types = TRACKED  # this module is a change observer (`server.sync.changes.observe`)

Span = tuple[str, str | None]  # ISO dates, the end None when open


def _month_names(first: str, last: str) -> list[str]:
    """ "YYYY-MM" from the month of `first` to that of `last` (ISO dates or months)."""
    start, end = int(first[:4]) * 12 + int(first[5:7]) - 1, int(last[:4]) * 12 + int(last[5:7]) - 1
    return [f"{n // 12:04d}-{n % 12 + 1:02d}" for n in range(start, end + 1)]


@functools.lru_cache(maxsize=4)
def window(today: date) -> list[str]:
    """The months snapshots cover: the SNAPSHOT_MONTHS closed months before today's, oldest first."""
    current = today.year * 12 + today.month - 1
    return [f"{n // 12:04d}-{n % 12 + 1:02d}" for n in range(current - SNAPSHOT_MONTHS, current)]


def _months(spans: Iterable[Span], first: str, last: str) -> Iterator[str]:
    """The months ("YYYY-MM") of the spans inside first..last (ISO dates)."""
    for start, end in spans:
        lo, hi = max(start, first), min(end or last, last)
        if lo <= hi:
            yield from _month_names(lo, hi)


def _changed(old: Span | None, new: Span | None) -> list[Span]:
    """Where one span covers and the other does not (roughly: its moved ends), or both if one is missing."""
    if old == new:
        return []
    if old is None or new is None:
        return [s for s in (old, new) if s is not None]
    found: list[Span] = []
    if old[0] != new[0]:
        found.append((min(old[0], new[0]), max(old[0], new[0])))
    if old[1] != new[1]:
        ends = [e for e in (old[1], new[1]) if e is not None]
        found.append((min(ends), None if len(ends) < 2 else max(ends)))
    return found


def _period(data: dict[str, Any] | None, start: str, end: str, *same: str) -> tuple[tuple, Span] | None:
    if data is None or data.get(start) is None:  # (a record's data of another shape is not counted either)
        return None
    return tuple(data.get(f) for f in same), (data[start], data.get(end))


def _spans(record_type: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[Span]:
    """The dates whose occupancy this change may alter."""
    if record_type == "attendance":
        before, after = (d.get("absent_reason") if d else None for d in (old, new))
        return [(d["date"], d["date"]) for d in (old, new) if d and d.get("date")] if before != after else []
    fields = {
        "stay": ("start_date", "end_date", "status", "unit_id", "client_id"),
        "schedule": ("valid_from", "valid_until", "weekdays", "unit_id", "client_id"),
        "residency": ("move_in", "move_out", "unit_id", "client_id"),
    }[record_type]
    was, now = _period(old, *fields), _period(new, *fields)
    if was and now and was[0] != now[0]:
        spans = [was[1], now[1]]
    else:
        spans = _changed(was[1] if was else None, now[1] if now else None)
    if record_type == "residency":
        absences = [
            {a.get("id"): (a["start_date"], a.get("end_date")) for a in (d or {}).get("absences") or []}
            for d in (old, new)
        ]
        for key in absences[0].keys() | absences[1].keys():
            spans += _changed(absences[0].get(key), absences[1].get(key))
    return spans


def affected(
    record_type: str, old: dict[str, Any] | None, new: dict[str, Any] | None, months_: list[str]
) -> set[tuple[str, str]]:
    """(report, month) pairs of the window `months_` that a change of the record from `old` to `new` alters."""
    if record_type in ("contact", "event"):
        reports = CONTACTS if record_type == "contact" else EVENTS
        touched = {d.get("month") for d in (old, new) if d} & set(months_)
        return {(r, m) for r in reports for m in touched}
    first, last = (
        f"{months_[0]}-01",
        f"{months_[-1]}-31",
    )  # compared as text: every date of the month is below
    return {(r, m) for r in OCCUPANCY for m in _months(_spans(record_type, old, new), first, last)}


async def note(
    conn: AsyncConnection,
    changes: Iterable[tuple[str, dict[str, Any] | None, dict[str, Any] | None]],
    now: datetime,
) -> None:
    """Raise the generation of every (report, month) of the window the changes alter."""
    changes = list(changes)
    if not changes:
        return
    months_ = window(today_in_finland(now))
    current = f"{months_[-1]}-99"  # every ISO date of a closed month sorts below it
    marks: set[tuple[str, str]] = set()
    for record_type, old, new in changes:
        if record_type not in TRACKED or (
            not _may_be_closed(old, current) and not _may_be_closed(new, current)
        ):
            continue
        marks |= affected(record_type, old, new, months_)
    if not marks:
        return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = StatisticsSnapshot.__table__
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=["report", "month"],
        set_={"generation": table.c.generation + 1, "marked_at": statement.excluded.marked_at},
    )
    # Sorted: concurrent writers on PostgreSQL take the rows' locks in one order.
    await conn.execute(
        statement, [{"report": r, "month": m, "generation": 1, "marked_at": now} for r, m in sorted(marks)]
    )


def _may_be_closed(data: dict[str, Any] | None, current: str) -> bool:
    """Whether the record reaches into a closed month (its earliest date or month is before `current`)."""
    if not data:
        return False
    for key in ("month", "date", "start_date", "valid_from", "move_in"):
        value = data.get(key)
        if value is not None:
            return value < current  # a record's other dates (a residency's absences) come after this one
    return False
