"""Statistics of guidance work: applications per handler, assessments started on time, and the time from
contact to decision to service start — per month, area and counsellor (or handler), with the region.

Definitions (also in `docs/client-record.md`; applications per handler are `server.applications.statistics`,
built on the same `Table`):

- **on time** (month of the contact), statutory assessments only (rule `urgent` or `age_75`): `on_time` =
  started by the deadline; `late` = started after it, or not started and the deadline has passed (a
  process closed without a start counts late only if it closed after the deadline); `ended` = closed
  without a start by the deadline; `pending` = not started, deadline still ahead. `statutory` is their sum
  and `on_time_percent` = on_time / (on_time + late).
- **durations**: `decisions` = decisions made that month with the mean and median days from the contact
  to the decision; `starts` = services started that month (the recorded service start, else the start of
  the accepted place offer of the decision's referral, if not after today) with the mean and median days
  from the contact and from the decision to the start.

Every count is of people (one process or application each). Suppression (`server.suppression`):
within a month, a cell (counsellor in an area, an area, the region) is hidden whole — every count and
every figure derived from it — when any of its counts is 1-4, and secondary suppression keeps it hidden
across the sums counsellor → area → region. All measures of a cell share the hidden pattern, so no
measure can be recovered from another. Protection runs on the whole region; filters pick rows afterwards.
"""

from __future__ import annotations

import statistics as stats
import uuid
from collections import defaultdict
from collections.abc import Hashable, Iterable
from datetime import date

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import User
from server.assessments.models import Assessment
from server.errors import KaariError
from server.months import MAX_MONTHS, month_end, months
from server.queue.models import Offer, QueueEntry
from server.reference.models import Area
from server.suppression import Relation, is_small, protect

Key = tuple  # ("cell", month, area_id, person_id) | ("area", month, area_id) | ("region", month)


class OnTimeRow(msgspec.Struct):
    month: str
    level: str  # counsellor / area / region
    area_id: uuid.UUID | None
    counsellor_id: uuid.UUID | None
    counsellor_name: str | None
    statutory: int | None
    on_time: int | None
    late: int | None
    ended: int | None
    pending: int | None
    on_time_percent: float | None
    suppressed: list[str]


class DurationsRow(msgspec.Struct):
    month: str
    level: str  # counsellor / area / region
    area_id: uuid.UUID | None
    counsellor_id: uuid.UUID | None
    counsellor_name: str | None
    decisions: int | None
    contact_to_decision_mean: float | None
    contact_to_decision_median: float | None
    starts: int | None
    contact_to_start_mean: float | None
    contact_to_start_median: float | None
    decision_to_start_mean: float | None
    decision_to_start_median: float | None
    suppressed: list[str]


def check_range(first: date, last: date) -> list[date]:
    spans = months(first, last)
    if not spans or len(spans) > MAX_MONTHS:
        raise KaariError(f"The range is from..to, 1 to {MAX_MONTHS} months.", code="invalid_range")
    return spans


def mean(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def median(values: list[int]) -> float | None:
    return float(stats.median(values)) if values else None


class Table:
    """Cells of one month: counsellor (or handler) in an area, the areas, the region; members per measure."""

    def __init__(self, month: date, area_ids: list[uuid.UUID]) -> None:
        self.month = month
        self.area_ids = area_ids
        self.members: dict[Key, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        self.cells: dict[uuid.UUID, set[Key]] = defaultdict(set)

    def add(self, area_id: uuid.UUID, person_id: uuid.UUID | None, measure: str, value: object = 1) -> None:
        cell = ("cell", self.month, area_id, person_id)
        self.cells[area_id].add(cell)
        for key in (cell, ("area", self.month, area_id), ("region", self.month)):
            self.members[key][measure].append(value)

    def ordered(self) -> list[Key]:
        found: list[Key] = []
        for area in self.area_ids:
            found += sorted(self.cells[area], key=lambda k: str(k[3]))
            found.append(("area", self.month, area))
        found.append(("region", self.month))
        return found

    def hidden(self, measures: Iterable[str]) -> set[Key]:
        """Every cell to hide: any small count, then secondary suppression across the sums."""
        measures = list(measures)
        keys = self.ordered()
        counts = {k: {m: len(self.members[k][m]) for m in measures} for k in keys}
        values: dict[Hashable, int] = {k: sum(counts[k].values()) for k in keys}
        primary = {k for k in keys if any(is_small(c) for c in counts[k].values())}
        relations = [
            Relation(("area", self.month, a), tuple(sorted(self.cells[a], key=str))) for a in self.area_ids
        ]
        relations.append(
            Relation(("region", self.month), tuple(("area", self.month, a) for a in self.area_ids))
        )
        return protect(values, relations, primary)


async def user_names(session: AsyncSession) -> dict[uuid.UUID, str]:
    return {i: n for i, n in await session.execute(select(User.id, User.display_name))}


async def area_ids(session: AsyncSession) -> list[uuid.UUID]:
    return list((await session.execute(select(Area.id).order_by(Area.code))).scalars())


def level_of(key: Key, person: str) -> tuple[str, uuid.UUID | None, uuid.UUID | None]:
    if key[0] == "cell":
        return person, key[2], key[3]
    if key[0] == "area":
        return "area", key[2], None
    return "region", None, None


# --- assessments started on time -------------------------------------------------------------------------


def on_time_class(a: Assessment, today: date) -> str | None:
    """on_time / late / ended / pending for a statutory assessment (None when there is no statutory clock)."""
    if a.deadline is None:
        return None
    if a.started_on is not None:
        return "on_time" if a.started_on <= a.deadline else "late"
    if a.closed_on is not None:
        return "ended" if a.closed_on <= a.deadline else "late"
    return "late" if a.deadline < today else "pending"


async def on_time_report(session: AsyncSession, first: date, last: date, today: date) -> list[OnTimeRow]:
    spans = check_range(first, last)
    areas, names = await area_ids(session), await user_names(session)
    found = (
        (await session.execute(select(Assessment).where(Assessment.deadline.is_not(None)))).scalars().all()
    )
    measures = ("on_time", "late", "ended", "pending")
    out: list[OnTimeRow] = []
    for month in spans:
        end = month_end(month)
        table = Table(month, areas)
        for a in found:
            if month <= a.contact_on <= end:
                table.add(a.area_id, a.counsellor_id, on_time_class(a, today) or "pending")
        hidden = table.hidden(measures)
        for key in table.ordered():
            level, area, person = level_of(key, "counsellor")
            c = {m: len(table.members[key][m]) for m in measures}
            decided = c["on_time"] + c["late"]
            percent = round(100 * c["on_time"] / decided, 1) if decided else None
            shown = key not in hidden
            out.append(
                OnTimeRow(
                    month.strftime("%Y-%m"),
                    level,
                    area,
                    person,
                    names.get(person) if person else None,
                    sum(c.values()) if shown else None,
                    *(c[m] if shown else None for m in measures),
                    percent if shown else None,
                    [] if shown else ["statutory", *measures, "on_time_percent"],
                )
            )
    return out


# --- durations --------------------------------------------------------------------------------------------


async def service_starts(session: AsyncSession, rows: list[Assessment], today: date) -> dict[uuid.UUID, date]:
    """Each granted process's service start: the recorded one, else its placement's start (not after today)."""
    starts = {a.id: a.service_started_on for a in rows if a.service_started_on is not None}
    by_referral = {a.referral_id: a.id for a in rows if a.referral_id is not None and a.id not in starts}
    if by_referral:
        placed = await session.execute(
            select(QueueEntry.referral_id, Offer.start_date)
            .join(Offer, Offer.queue_entry_id == QueueEntry.id)
            .where(Offer.status == "accepted", QueueEntry.referral_id.in_(list(by_referral)))
        )
        for referral_id, start in placed:
            if start <= today:
                starts[by_referral[referral_id]] = start
    return starts


async def durations_report(session: AsyncSession, first: date, last: date, today: date) -> list[DurationsRow]:
    spans = check_range(first, last)
    areas, names = await area_ids(session), await user_names(session)
    found = list(
        (await session.execute(select(Assessment).where(Assessment.decided_on.is_not(None)))).scalars().all()
    )
    starts = await service_starts(session, found, today)
    out: list[DurationsRow] = []
    for month in spans:
        end = month_end(month)
        table = Table(month, areas)
        for a in found:
            assert a.decided_on is not None
            if month <= a.decided_on <= end:
                table.add(a.area_id, a.counsellor_id, "decisions", (a.decided_on - a.contact_on).days)
            start = starts.get(a.id)
            if start is not None and month <= start <= end:
                table.add(
                    a.area_id,
                    a.counsellor_id,
                    "starts",
                    ((start - a.contact_on).days, (start - a.decided_on).days),
                )
        hidden = table.hidden(("decisions", "starts"))
        for key in table.ordered():
            level, area, person = level_of(key, "counsellor")
            decisions = table.members[key]["decisions"]
            started = table.members[key]["starts"]
            figures: list[object] = [
                len(decisions),
                mean(decisions),
                median(decisions),
                len(started),
                mean([s[0] for s in started]),
                median([s[0] for s in started]),
                mean([s[1] for s in started]),
                median([s[1] for s in started]),
            ]
            shown = key not in hidden
            names_of = list(DurationsRow.__struct_fields__[5:13])
            out.append(
                DurationsRow(
                    month.strftime("%Y-%m"),
                    level,
                    area,
                    person,
                    names.get(person) if person else None,
                    *(f if shown else None for f in figures),
                    [] if shown else names_of,
                )
            )
    return out


def pick(rows: list, **filters: object) -> list:
    """Rows matching the given filters (applied after protection, so every view hides the same cells)."""
    for name, value in filters.items():
        if value is not None:
            rows = [r for r in rows if getattr(r, name) == value]
    return rows
