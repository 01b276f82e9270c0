"""Statistics of the queues, protected by `server.suppression` like every places figure (`docs/reports.md`):

- `queue_report(today)`: the active queue (`waiting`, `offered`) per service kind and area: its length,
  mean and median days waiting so far, and how many have waited over three months.
- `waiting_time_report(half, today)`: the Elderly Services Act §26 half-year report: per service kind and
  area, placements decided (accepted offers decided in the half-year) and placements started (accepted
  offers whose start date is in the half-year and not after today), with the mean and median days from
  the queue entry to the start and how many started over three months after entering the queue.
"""

from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from datetime import date

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.clock import date_in_finland
from server.months import add_months, parse_half
from server.places.reports import PLACEABLE_KINDS, hidden_cells, load_region
from server.queue.models import ACTIVE_ENTRY_STATUSES, Offer, QueueEntry
from server.suppression import Relation

STATUTORY_MONTHS = 3


class QueueRow(msgspec.Struct):
    level: str  # area / kind
    service_kind: str
    area_id: uuid.UUID | None
    waiting: int | None
    over_3_months: int | None
    mean_days: float | None
    median_days: float | None
    suppressed: list[str]


class WaitingTimeRow(msgspec.Struct):
    level: str  # area / kind
    service_kind: str
    area_id: uuid.UUID | None
    decisions: int | None
    started: int | None
    mean_days: float | None
    median_days: float | None
    over_3_months: int | None
    suppressed: list[str]


def over_limit(entered: date, end: date) -> bool:
    """Waited over three months: `end` is after the same day three months after `entered`."""
    return end > add_months(entered, STATUTORY_MONTHS)


def mean(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def queue_grid(kinds: list[str], area_ids: list[uuid.UUID]) -> list[Relation]:
    return [Relation(("kind", k), tuple(("area", k, a) for a in area_ids)) for k in kinds]


def grid_counts(groups: dict[tuple[str, uuid.UUID], list], kinds: list[str], areas: list[uuid.UUID]) -> dict:
    counts: dict[Hashable, int] = {}
    for kind in kinds:
        for area in areas:
            counts[("area", kind, area)] = len(groups.get((kind, area), []))
        counts[("kind", kind)] = sum(counts[("area", kind, a)] for a in areas)
    return counts


def grid_members(groups: dict[tuple[str, uuid.UUID], list], key: tuple) -> list:
    if key[0] == "area":
        return groups.get((key[1], key[2]), [])
    return [v for (kind, _), values in groups.items() if kind == key[1] for v in values]


def _grid_rows(
    kinds: list[str],
    areas: list[uuid.UUID],
    make: Callable[[tuple, str, uuid.UUID | None], msgspec.Struct],
) -> list:
    rows = []
    for kind in kinds:
        rows += [make(("area", kind, a), kind, a) for a in areas]
        rows.append(make(("kind", kind), kind, None))
    return rows


def _hide_fields(row: msgspec.Struct, fields: Iterable[str]) -> None:
    for name in fields:
        setattr(row, name, None)
        row.suppressed.append(name)  # type: ignore[attr-defined]


async def queue_report(session: AsyncSession, today: date) -> list[QueueRow]:
    region = await load_region(session)
    groups: dict[tuple[str, uuid.UUID], list[date]] = defaultdict(list)
    for kind, area, entered in await session.execute(
        select(QueueEntry.service_kind, QueueEntry.area_id, QueueEntry.entered_at).where(
            QueueEntry.status.in_(ACTIVE_ENTRY_STATUSES)
        )
    ):
        groups[(kind, area)].append(entered)
    kinds = region.service_kinds + sorted({k for k, _ in groups} - set(region.service_kinds))
    relations = queue_grid(kinds, region.area_ids)
    waiting = grid_counts(groups, kinds, region.area_ids)
    hidden = hidden_cells(waiting, relations)
    over = {k: sum(over_limit(e, today) for e in grid_members(groups, k)) for k in waiting}
    hidden_over = hidden_cells(over, relations, hidden)

    def make(key: tuple, kind: str, area: uuid.UUID | None) -> QueueRow:
        days = [(today - e).days for e in grid_members(groups, key)]
        row = QueueRow(key[0], kind, area, waiting[key], over[key], mean(days), median(days), [])
        if key in hidden:
            _hide_fields(row, ["waiting", "mean_days", "median_days"])
        if key in hidden_over:
            _hide_fields(row, ["over_3_months"])
        return row

    return _grid_rows(kinds, region.area_ids, make)


async def waiting_time_report(session: AsyncSession, half: str, today: date) -> list[WaitingTimeRow]:
    first, last = parse_half(half)
    region = await load_region(session)
    rows = await session.execute(
        select(
            Offer.decided_at,
            Offer.start_date,
            QueueEntry.entered_at,
            QueueEntry.service_kind,
            QueueEntry.area_id,
        )
        .join(QueueEntry, QueueEntry.id == Offer.queue_entry_id)
        .where(Offer.status == "accepted")
    )
    decided: dict[tuple[str, uuid.UUID], list[date]] = defaultdict(list)
    started: dict[tuple[str, uuid.UUID], list[tuple[date, date]]] = defaultdict(list)
    for decided_at, start, entered, kind, area in rows:
        decided_on = date_in_finland(decided_at) if decided_at is not None else None
        if decided_on is not None and first <= decided_on <= last:
            decided[(kind, area)].append(decided_on)
        if first <= start <= min(last, today):
            started[(kind, area)].append((entered, start))
    kinds = list(PLACEABLE_KINDS)
    relations = queue_grid(kinds, region.area_ids)
    decisions = grid_counts(decided, kinds, region.area_ids)
    starts = grid_counts(started, kinds, region.area_ids)
    hidden_decisions = hidden_cells(decisions, relations)
    hidden_starts = hidden_cells(starts, relations)
    over = {k: sum(over_limit(e, s) for e, s in grid_members(started, k)) for k in starts}
    hidden_over = hidden_cells(over, relations, hidden_starts)

    def make(key: tuple, kind: str, area: uuid.UUID | None) -> WaitingTimeRow:
        days = [(s - e).days for e, s in grid_members(started, key)]
        row = WaitingTimeRow(
            key[0], kind, area, decisions[key], starts[key], mean(days), median(days), over[key], []
        )
        if key in hidden_decisions:
            _hide_fields(row, ["decisions"])
        if key in hidden_starts:
            _hide_fields(row, ["started", "mean_days", "median_days"])
        if key in hidden_over:
            _hide_fields(row, ["over_3_months"])
        return row

    return _grid_rows(kinds, region.area_ids, make)
