"""Guidance statistics: contacts and events per area, service point, counsellor and month, protected.

Three reports (what each figure counts is in `docs/guidance.md`):

- `contacts_report(first, last)`: per month and group, the number of contacts (`dimension` `total`) and
  the contacts by `channel`, `caller_type`, `contact_type`, `resolution` (each contact has one code of
  each: the codes add up to the total) and by `topic` (a contact may have several topics: they do not).
- `first_contact_report(first, last)`: first contacts (contacts *to the service* that do not continue an
  earlier matter, `follow_up` false) and how many of them were resolved at that contact (their resolution
  carries `first_contact_resolution: true` in the `contact.resolution` code list), with the share.
- `events_report(first, last)`: events and their participants per kind (and all kinds).

Groups are the region, each area, each service point of an area (plus "no service point" — contacts by
phone or e-mail to the area's line — as `service_point_id` null at level `service_point`) and each
counsellor in an area (the events' organiser). The SQL groups by month, area, service point, counsellor and
code over the covering indexes of `contacts`, `contact_topics` and `events`; the roll-up to areas and the
region and the protection run in Python on those few thousand rows.

Suppression (`server.suppression`): every count of contacts or participants is a count of people
and goes through primary (1-4 hidden) and secondary suppression, on the whole region's table, month by
month (no sum over months is published, so months are independent tables); relations are the hierarchy
(region = Σ areas; area = Σ its service points = Σ its counsellors) and, for the single-valued dimensions,
total = Σ codes. A share is hidden when either of its counts is. Event counts are counts of events, not of
people, and are published as they are. Callers filter the protected rows afterwards.

Applications per handler, assessments started on time and the time from contact to decision to service
start are the assessment side's own report module (next to its models); they are not computed here.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date

import msgspec
from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.contacts.models import Contact, ContactTopic
from server.errors import KaariError
from server.events.models import Event
from server.months import MAX_MONTHS, months
from server.reference.models import Area, CodeList, ServicePoint
from server.statistics.snapshots import Report, basis_hash
from server.suppression import Relation, primary, protect

SINGLE_VALUED = ("channel", "caller_type", "contact_type", "resolution")
CODE_LISTS = {
    "channel": "contact.channel",
    "caller_type": "contact.caller_type",
    "contact_type": "contact.contact_type",
    "resolution": "contact.resolution",
    "topic": "contact.topics",
    "kind": "event.kind",
}
TO_SERVICE = (
    "to_service"  # the contact type of contacts made to the service (the candidates for a first contact)
)
LEVELS = ("region", "area", "service_point", "counsellor")

Group = tuple  # ("region",) | ("area", a) | ("service_point", a, sp or None) | ("counsellor", a, user)
REGION: Group = ("region",)


class ContactCountRow(msgspec.Struct):
    month: str
    level: str
    area_id: uuid.UUID | None
    service_point_id: uuid.UUID | None
    counsellor_id: uuid.UUID | None
    dimension: str  # total / channel / caller_type / contact_type / topic / resolution
    code: str | None
    contacts: int | None
    suppressed: list[str]


class FirstContactRow(msgspec.Struct):
    month: str
    level: str
    area_id: uuid.UUID | None
    service_point_id: uuid.UUID | None
    counsellor_id: uuid.UUID | None
    first_contacts: int | None
    resolved: int | None
    resolved_percent: float | None
    suppressed: list[str]


class EventRow(msgspec.Struct):
    month: str
    level: str
    area_id: uuid.UUID | None
    service_point_id: uuid.UUID | None
    counsellor_id: uuid.UUID | None  # the organiser
    kind: str | None  # None: all kinds
    events: int
    participants: int | None
    suppressed: list[str]


# --- groups and protection -------------------------------------------------------------------------------


@dataclass
class Groups:
    """The groups of one month: the region, areas, their service points (and none), counsellors seen."""

    areas: list[uuid.UUID]
    points: dict[uuid.UUID, list[uuid.UUID | None]]
    counsellors: dict[uuid.UUID, set[uuid.UUID]] = field(default_factory=lambda: defaultdict(set))

    def all(self) -> list[Group]:
        found: list[Group] = [REGION]
        for area in self.areas:
            found.append(("area", area))
            found += [("service_point", area, p) for p in self.points[area]]
            found += [("counsellor", area, c) for c in sorted(self.counsellors[area])]
        return found


def rolled_up(area: uuid.UUID, point: uuid.UUID | None, counsellor: uuid.UUID) -> tuple[Group, ...]:
    """Every group a contact of (area, service point, counsellor) counts in."""
    return (REGION, ("area", area), ("service_point", area, point), ("counsellor", area, counsellor))


def protected(
    groups: Groups,
    families: Iterable[tuple],
    counts: dict[Hashable, int],
    sums: Iterable[tuple[tuple, list[tuple]]] = (),
) -> tuple[dict[Hashable, int], set[Hashable]]:
    """Values and hidden cells of a table `(group, *family)`; `sums`: family = Σ families in each group."""
    families = list(families)
    every = groups.all()
    values = {(g, *f): counts.get((g, *f), 0) for g in every for f in families}
    relations: list[Relation] = []
    for f in families:
        relations.append(Relation((REGION, *f), tuple((("area", a), *f) for a in groups.areas)))
        for a in groups.areas:
            relations.append(
                Relation((("area", a), *f), tuple((("service_point", a, p), *f) for p in groups.points[a]))
            )
            relations.append(
                Relation(
                    (("area", a), *f),
                    tuple((("counsellor", a, c), *f) for c in sorted(groups.counsellors[a])),
                )
            )
    for total, parts in sums:
        relations += [Relation((g, *total), tuple((g, *p) for p in parts)) for g in every]
    return values, protect(values, relations, primary(values))


def _ids(group: Group) -> tuple[uuid.UUID | None, uuid.UUID | None, uuid.UUID | None]:
    if group[0] == "area":
        return group[1], None, None
    if group[0] == "service_point":
        return group[1], group[2], None
    if group[0] == "counsellor":
        return group[1], None, group[2]
    return None, None, None


# --- the region and the periods ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Region:
    areas: list[uuid.UUID]
    points: dict[uuid.UUID, list[uuid.UUID | None]]
    codes: dict[str, list[str]]

    def groups(self) -> Groups:
        return Groups(self.areas, self.points)


async def load_region(session: AsyncSession) -> Region:
    areas = list((await session.execute(select(Area.id).order_by(Area.code))).scalars())
    points: dict[uuid.UUID, list[uuid.UUID | None]] = {a: [] for a in areas}
    for point_id, area_id in await session.execute(
        select(ServicePoint.id, ServicePoint.area_id).order_by(ServicePoint.code)
    ):
        points[area_id].append(point_id)
    for area in areas:
        points[area].append(None)  # contacts without a service point
    codes = {}
    for dimension, list_id in CODE_LISTS.items():
        code_list = await session.get(CodeList, list_id)
        codes[dimension] = [c["code"] for c in code_list.codes] if code_list else []
    return Region(areas, points, codes)


async def first_contact_codes(session: AsyncSession) -> list[str]:
    code_list = await session.get(CodeList, "contact.resolution")
    return [c["code"] for c in (code_list.codes if code_list else []) if c.get("first_contact_resolution")]


def month_range(first: date, last: date) -> list[str]:
    if last < first:
        raise KaariError("The period is from..to.", code="invalid_range")
    found = [m.strftime("%Y-%m") for m in months(first, last)]
    if len(found) > MAX_MONTHS:
        raise KaariError(f"At most {MAX_MONTHS} months at a time.", code="invalid_range")
    return found


def _codes(region: Region, dimension: str, seen: Iterable[str]) -> list[str]:
    known = region.codes.get(dimension, [])
    return known + sorted(set(seen) - set(known))


# --- contacts ------------------------------------------------------------------------------------------------


async def _fine_counts(session: AsyncSession, column, table, names: list[str]) -> list[tuple]:
    """(month, area, service point, counsellor, code, count) for the months, grouped in SQL."""
    keys = (table.month, table.area_id, table.service_point_id, table.counsellor_id, column)
    query = (
        select(*keys, func.count()).where(table.month >= names[0], table.month <= names[-1]).group_by(*keys)
    )
    return [tuple(row) for row in await session.execute(query)]


async def contacts_report(session: AsyncSession, first: date, last: date) -> list[ContactCountRow]:
    names = month_range(first, last)
    region = await load_region(session)
    fine: dict[str, list[tuple]] = {}
    for dimension in SINGLE_VALUED:
        fine[dimension] = await _fine_counts(session, getattr(Contact, dimension), Contact, names)
    fine["topic"] = await _fine_counts(session, ContactTopic.topic, ContactTopic, names)
    rows: list[ContactCountRow] = []
    for month in names:
        groups = region.groups()
        counts: dict[Hashable, int] = defaultdict(int)
        seen: dict[str, set[str]] = defaultdict(set)
        for dimension, found in fine.items():
            for m, area, point, counsellor, code, n in found:
                if m != month:
                    continue
                groups.counsellors[area].add(counsellor)
                seen[dimension].add(code)
                for g in rolled_up(area, point, counsellor):
                    counts[(g, dimension, code)] += n
                    if dimension == "channel":
                        counts[(g, "total", None)] += n
        single = [("total", None)] + [(d, c) for d in SINGLE_VALUED for c in _codes(region, d, seen[d])]
        sums = [(("total", None), [(d, c) for c in _codes(region, d, seen[d])]) for d in SINGLE_VALUED]
        values, hidden = protected(groups, single, counts, sums)
        topics = [("topic", c) for c in _codes(region, "topic", seen["topic"])]
        topic_values, topic_hidden = protected(groups, topics, counts)
        values.update(topic_values)
        hidden |= topic_hidden
        for g in groups.all():
            area, point, counsellor = _ids(g)
            for dimension, code in single + topics:
                key = (g, dimension, code)
                secret = key in hidden
                rows.append(
                    ContactCountRow(
                        month,
                        g[0],
                        area,
                        point,
                        counsellor,
                        dimension,
                        code,
                        None if secret else values[key],
                        ["contacts"] if secret else [],
                    )
                )
    return rows


async def first_contact_report(session: AsyncSession, first: date, last: date) -> list[FirstContactRow]:
    names = month_range(first, last)
    region = await load_region(session)
    closing = await first_contact_codes(session)
    keys = (Contact.month, Contact.area_id, Contact.service_point_id, Contact.counsellor_id)
    query = (
        select(*keys, func.count(), func.sum(case((Contact.resolution.in_(closing or [""]), 1), else_=0)))
        .where(
            Contact.month >= names[0],
            Contact.month <= names[-1],
            Contact.contact_type == TO_SERVICE,
            Contact.follow_up.is_(False),
        )
        .group_by(*keys)
    )
    found = [tuple(row) for row in await session.execute(query)]
    rows: list[FirstContactRow] = []
    for month in names:
        groups = region.groups()
        counts: dict[Hashable, int] = defaultdict(int)
        for m, area, point, counsellor, total, resolved in found:
            if m != month:
                continue
            groups.counsellors[area].add(counsellor)
            for g in rolled_up(area, point, counsellor):
                counts[(g, "first")] += total
                counts[(g, "resolved")] += int(resolved or 0)
        values, hidden = protected(groups, [("first",), ("resolved",)], counts)
        for g in groups.all():
            area, point, counsellor = _ids(g)
            total, resolved = values[(g, "first")], values[(g, "resolved")]
            secret = [
                n for n, k in (("first_contacts", "first"), ("resolved", "resolved")) if (g, k) in hidden
            ]
            share_hidden = bool(secret) or total == 0
            rows.append(
                FirstContactRow(
                    month,
                    g[0],
                    area,
                    point,
                    counsellor,
                    None if "first_contacts" in secret else total,
                    None if "resolved" in secret else resolved,
                    None if share_hidden else round(100 * resolved / total, 1),
                    secret + (["resolved_percent"] if secret else []),
                )
            )
    return rows


# --- events --------------------------------------------------------------------------------------------------


async def events_report(session: AsyncSession, first: date, last: date) -> list[EventRow]:
    names = month_range(first, last)
    region = await load_region(session)
    keys = (Event.month, Event.area_id, Event.service_point_id, Event.organiser_id, Event.kind)
    query = (
        select(*keys, func.count(), func.sum(Event.participant_count))
        .where(Event.month >= names[0], Event.month <= names[-1])
        .group_by(*keys)
    )
    found = [tuple(row) for row in await session.execute(query)]
    rows: list[EventRow] = []
    for month in names:
        groups = region.groups()
        events: dict[Hashable, int] = defaultdict(int)
        people: dict[Hashable, int] = defaultdict(int)
        seen: set[str] = set()
        for m, area, point, organiser, kind, count, participants in found:
            if m != month:
                continue
            groups.counsellors[area].add(organiser)
            seen.add(kind)
            for g in rolled_up(area, point, organiser):
                for k in (kind, None):
                    events[(g, k)] += count
                    people[(g, k)] += int(participants or 0)
        kinds = _codes(region, "kind", seen)
        families = [(None,)] + [(k,) for k in kinds]
        values, hidden = protected(groups, families, people, [((None,), [(k,) for k in kinds])])
        for g in groups.all():
            area, point, organiser = _ids(g)
            for (kind,) in families:
                secret = (g, kind) in hidden
                rows.append(
                    EventRow(
                        month,
                        g[0],
                        area,
                        point,
                        organiser,
                        kind,
                        events.get((g, kind), 0),
                        None if secret else values[(g, kind)],
                        ["participants"] if secret else [],
                    )
                )
    return rows


# --- snapshots -----------------------------------------------------------------------------------------


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
            select(CodeList.id, CodeList.codes).where(CodeList.id.in_(sorted(set(CODE_LISTS.values()))))
        )
    ).all()
    basis = basis_hash(
        [
            [tuple(map(str, a)) for a in areas],
            [tuple(map(str, p)) for p in points],
            sorted(tuple(row) for row in lists),
        ]
    )
    return dict.fromkeys(months, basis)


SNAPSHOT_REPORTS = (
    Report("guidance.contacts", contacts_report, ContactCountRow, guidance_basis),
    Report("guidance.first_contact", first_contact_report, FirstContactRow, guidance_basis),
    Report("guidance.events", events_report, EventRow, guidance_basis),
)
"""Kept as nightly snapshots of closed months (`server.statistics.snapshots`)."""
