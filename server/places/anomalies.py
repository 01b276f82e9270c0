"""Late anomalies: what only shows up once offline devices have uploaded, turned into tasks, never fixed.

Each upload is checked on its own by its mutation, but two devices that were offline can each record
something that is fine alone and wrong together. Such findings, each a task for a named role
(`server.tasks`), opened once (the task id is derived from what was found):

- **overlapping stays of one client** (`overlapping_stays`): two booked short-term stays of the client
  that share a day (in one unit or two); one task for the coordinators, about the pair.
- **a client in two places through a residency** (`stay_during_residency`, `overlapping_residencies`): a
  booked short-term stay, or a second residency, on a day the client's 24h-housing residency also takes
  its place. Every residency is in a 24h unit (`housing_24h`) and every stay in a short-term-care unit,
  both round-the-clock care, so the client would be counted in two units' occupancy. A day covered by an
  absence of the residency (hospital, home leave, other) does not count: the resident has given the place
  up then, which is how a respite period away from the residency is recorded. One task for the
  coordinators per pair, naming the first and last such day (`to` is `null` for two open residencies).
- **occupancy above capacity** (`over_capacity`): a unit whose booked occupancy is above its capacity on
  a day of the published window, e.g. bookings made before the unit's places were lowered in the
  reference data; one task for the coordinators, about the unit, from the first such day. While the
  unit has an open one, no other is opened.

Triggers: the uploads that may cause them write an outbox row for `places.late_anomalies` in their own
transaction (`stay_uploaded`, `residency_uploaded`), and `places.anomaly_scan` checks everything every
night (stays and residencies ending from the last 31 days on, every unit's window). Double check-ins are day
activity's (`server.day_activity.anomalies`).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta

import msgspec
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.clock import today_in_finland
from server.jobs import outbox
from server.jobs.registry import NIGHTLY_RETRY, Cron, RetryPolicy, job
from server.places.capacity import day_places, horizon, load_state, lock_all_units, lock_units
from server.places.models import Residency, ResidencyAbsence, Stay
from server.reference.models import Unit
from server.sync.changes import ChangeSet
from server.tasks.models import Task
from server.tasks.service import NewTask, checked, open_task

LOOK_BACK = timedelta(days=31)
MAX_DATES_LISTED = 31


class ClientDay(msgspec.Struct, array_like=True):
    client_id: uuid.UUID
    date: date


class LateArgs(msgspec.Struct, forbid_unknown_fields=True):
    # Rows written before double check-ins moved to day activity may still carry check-ins: the nightly
    # `day_activity.anomaly_scan` finds those, so they are read and left alone here.
    check_ins: list[ClientDay] = []
    clients: list[uuid.UUID] = []
    units: list[uuid.UUID] = []


# --- triggers (in the upload's transaction) ---------------------------------------------------------------


async def stay_uploaded(session: AsyncSession, client_id: uuid.UUID, unit_id: uuid.UUID) -> None:
    """A stay was booked or moved: the client's stays may overlap, the unit may be over capacity."""
    args = LateArgs(clients=[client_id], units=[unit_id])
    await outbox.add(session, "places.late_anomalies", f"stay:{client_id}:{unit_id}", args)


async def residency_uploaded(session: AsyncSession, client_id: uuid.UUID, unit_id: uuid.UUID) -> None:
    """A resident moved in, out later, or to another unit: the residency may overlap a stay or another."""
    args = LateArgs(clients=[client_id], units=[unit_id])
    await outbox.add(session, "places.late_anomalies", f"residency:{client_id}:{unit_id}", args)


# --- the checks -------------------------------------------------------------------------------------------


async def overlapping_stays(
    session: AsyncSession, changes: ChangeSet, clients: list[uuid.UUID] | None, since: date, now
) -> int:
    """Tasks for the coordinators about pairs of a client's booked stays that share a day."""
    query = select(Stay).where(Stay.status == "booked")
    query = query.where(Stay.client_id.in_(clients)) if clients is not None else query
    query = query.where(Stay.end_date >= since).order_by(Stay.client_id, Stay.start_date, Stay.id)
    by_client: dict[uuid.UUID, list[Stay]] = defaultdict(list)
    for stay in (await session.scalars(query)).all():
        by_client[stay.client_id].append(stay)
    created = 0
    for client_id, stays in by_client.items():
        for i, first in enumerate(stays):
            for second in stays[i + 1 :]:
                if second.start_date > first.end_date:
                    break  # sorted by start: no later stay overlaps `first`
                a, b = sorted((first, second), key=lambda s: str(s.id))
                start, end = max(a.start_date, b.start_date), min(a.end_date, b.end_date)
                new = NewTask(
                    kind="overlapping_stays",
                    role="coordinator",
                    about_type="stay",
                    about_id=str(b.id),
                    key=(str(a.id), str(b.id)),
                    client_id=client_id,
                    date=start,
                    details={
                        "stay_ids": [str(a.id), str(b.id)],
                        "unit_ids": [str(a.unit_id), str(b.unit_id)],
                        "from": start.isoformat(),
                        "to": end.isoformat(),
                    },
                )
                created += (await open_task(session, changes, new, now))[1]
    return created


Period = tuple[date, date | None]  # first and last day; None: open-ended


def days_taken(periods: list[Period], holes: list[tuple[date, date]]) -> Period | None:
    """The first and last day inside every period that no hole covers, or None if there is none."""
    start = max(p[0] for p in periods)
    ends = [p[1] for p in periods if p[1] is not None]
    end = min(ends) if ends else None
    holes = sorted(holes)
    for a, b in holes:  # sorted by start: one pass moves `start` past every hole covering it
        if a <= start <= b:
            start = b + timedelta(days=1)
    if end is None:
        return start, None  # holes end, an open period does not
    if start > end:
        return None
    for a, b in sorted(holes, key=lambda h: h[1], reverse=True):
        if a <= end <= b:
            end = a - timedelta(days=1)
    return start, end


async def residency_overlaps(
    session: AsyncSession, changes: ChangeSet, clients: list[uuid.UUID] | None, since: date, now
) -> int:
    """Tasks for the coordinators about a stay or a second residency on days a residency takes a place."""
    current = or_(Residency.move_out.is_(None), Residency.move_out >= since)
    query = select(Residency).where(current)
    query = query.where(Residency.client_id.in_(clients)) if clients is not None else query
    residencies = (await session.scalars(query.order_by(Residency.client_id, Residency.id))).all()
    if not residencies:
        return 0
    # Subqueries, not lists of ids: the nightly scan covers every resident of the region.
    residents = query.with_only_columns(Residency.client_id)
    stays = (
        await session.scalars(
            select(Stay)
            .where(Stay.status == "booked", Stay.end_date >= since, Stay.client_id.in_(residents))
            .order_by(Stay.id)
        )
    ).all()
    homes = query.with_only_columns(Residency.id)
    holes: dict[uuid.UUID, list[tuple[date, date]]] = defaultdict(list)
    for absence in (
        await session.scalars(select(ResidencyAbsence).where(ResidencyAbsence.residency_id.in_(homes)))
    ).all():
        holes[absence.residency_id].append((absence.start_date, absence.end_date))
    stays_of: dict[uuid.UUID, list[Stay]] = defaultdict(list)
    for stay in stays:
        stays_of[stay.client_id].append(stay)
    homes_of: dict[uuid.UUID, list[Residency]] = defaultdict(list)
    for residency in residencies:
        homes_of[residency.client_id].append(residency)

    created = 0
    for client_id, homes in homes_of.items():
        pairs: list[tuple[str, Residency, Stay | Residency]] = [
            ("stay_during_residency", home, stay) for home in homes for stay in stays_of[client_id]
        ]
        pairs += [("overlapping_residencies", a, b) for i, a in enumerate(homes) for b in homes[i + 1 :]]
        for kind, home, other in pairs:
            if isinstance(other, Stay):
                ids, units, gaps = [home.id, other.id], [other.unit_id, home.unit_id], holes[home.id]
                periods = [(home.move_in, home.move_out), (other.start_date, other.end_date)]
                about = {"residency_id": str(home.id), "stay_id": str(other.id)}
            else:
                a, b = sorted((home, other), key=lambda r: str(r.id))
                ids, units, gaps = [a.id, b.id], [a.unit_id, b.unit_id], holes[a.id] + holes[b.id]
                periods = [(a.move_in, a.move_out), (b.move_in, b.move_out)]
                about = {"residency_ids": [str(a.id), str(b.id)]}
            taken = days_taken(periods, gaps)
            if taken is None:
                continue
            start, end = taken
            new = NewTask(
                kind=kind,
                role="coordinator",
                about_type="stay" if isinstance(other, Stay) else "residency",
                about_id=str(ids[1]),
                key=(str(ids[0]), str(ids[1])),
                client_id=client_id,
                date=start,
                details={
                    **about,
                    "unit_ids": [str(u) for u in units],  # a stay's unit first: the board the link opens
                    "from": start.isoformat(),
                    "to": end.isoformat() if end else None,
                },
            )
            created += (await open_task(session, changes, new, now))[1]
    return created


async def over_capacity(
    session: AsyncSession, changes: ChangeSet, units: dict[uuid.UUID, Unit], today: date, now
) -> int:
    """Tasks for the coordinators about units booked above capacity on a day of the published window."""
    open_for = set(
        (
            await session.scalars(
                select(Task.unit_id).where(Task.kind == "over_capacity", Task.status == "open")
            )
        ).all()
    )
    created = 0
    for unit in sorted(units.values(), key=lambda u: u.code):
        if unit.id in open_for:
            continue
        places = day_places(await load_state(session, unit), horizon(today))
        over = [d for d, p in places.items() if p.free < 0]
        if not over:
            continue
        first = over[0]
        new = NewTask(
            kind="over_capacity",
            role="coordinator",
            about_type="unit",
            about_id=str(unit.id),
            key=(str(unit.id), first.isoformat()),
            unit_id=unit.id,
            area_id=unit.area_id,
            date=first,
            details={
                "dates": [d.isoformat() for d in over[:MAX_DATES_LISTED]],
                "days_over": len(over),
                "capacity": places[first].capacity,
                "occupied": places[first].occupied,
            },
        )
        created += (await open_task(session, changes, new, now))[1]
    return created


# --- the jobs ---------------------------------------------------------------------------------------------


@job("places.late_anomalies", args=LateArgs, retry=RetryPolicy(tries=5, backoff_seconds=10), timeout=120)
async def late_anomalies(session: AsyncSession, now: datetime, args: LateArgs) -> tuple[int, ChangeSet]:
    """Check what an upload may have caused; returns how many tasks were opened."""

    async def check(changes: ChangeSet) -> int:
        today = today_in_finland(now)
        since = today - LOOK_BACK
        units = await lock_units(session, args.units)  # under the capacity locks: no booking changes
        created = 0
        if args.clients:
            created += await overlapping_stays(session, changes, args.clients, since, now)
            created += await residency_overlaps(session, changes, args.clients, since, now)
        return created + await over_capacity(session, changes, units, today, now)

    return await checked(session, check)


@job("places.anomaly_scan", cron=Cron(hour=1, minute=30), retry=NIGHTLY_RETRY, timeout=600)
async def anomaly_scan(session: AsyncSession, now: datetime) -> tuple[int, ChangeSet]:
    """Every night: every check over everything (what an incremental check may have missed)."""

    async def check(changes: ChangeSet) -> int:
        today = today_in_finland(now)
        since = today - LOOK_BACK
        units = await lock_all_units(session)
        created = await overlapping_stays(session, changes, None, since, now)
        created += await residency_overlaps(session, changes, None, since, now)
        return created + await over_capacity(session, changes, units, today, now)

    return await checked(session, check)
