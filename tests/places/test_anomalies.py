"""Late anomalies of residencies (`server.places.anomalies.residency_overlaps`): a booked short-term stay,
or a second residency, on a day a client's 24h residency takes its place opens one task for the
coordinators; days the residency gives up through an absence (a respite recorded as home leave) do not;
a second run, incremental or nightly, changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from server.clock import today_in_finland
from server.jobs.models import OutboxRow
from server.places import anomalies
from server.places.models import Residency, ResidencyAbsence, Stay
from server.reference.models import Unit
from server.sync.models import SyncHead
from server.tasks.models import Task
from tests.places.helpers import H24, STC, other_client, replica

KINDS = ("stay_during_residency", "overlapping_residencies")


async def tasks(db) -> dict[tuple[str, str], Task]:
    await db.rollback()
    rows = (await db.scalars(select(Task).where(Task.kind.in_(KINDS)))).all()
    return {(t.kind, t.about_id): t for t in rows}


async def scan(db) -> int:
    await db.rollback()
    created, _ = await anomalies.anomaly_scan(db, datetime.now(UTC))
    return created


async def test_stays_and_residencies_on_the_same_days_open_one_task_each(demo, db):
    today = today_in_finland()

    def d(n: int):
        return today + timedelta(days=n)

    assert await scan(db) >= 0 and await tasks(db) == {}, "the demo county has no such overlap"
    resident = (
        await db.scalars(select(Residency).where(Residency.unit_id == H24).order_by(Residency.id).limit(1))
    ).one()
    other_h24 = (
        await db.scalars(
            select(Unit.id)
            .where(
                Unit.kind == "housing_24h",
                Unit.id != H24,
                Unit.area_id == (select(Unit.area_id).where(Unit.id == H24).scalar_subquery()),
            )
            .limit(1)
        )
    ).one()

    def stay(client_id, start: int, end: int, status: str = "booked") -> Stay:
        row = Stay(id=uuid.uuid4(), client_id=client_id, unit_id=STC, start_date=d(start), end_date=d(end))
        row.status = status
        db.add(row)
        return row

    def absence(start: int, end: int) -> None:
        db.add(
            ResidencyAbsence(
                id=uuid.uuid4(),
                residency_id=resident.id,
                start_date=d(start),
                end_date=d(end),
                reason="home_leave",
            )
        )

    plain = stay(resident.client_id, 10, 14)  # the resident booked into short-term care: both places taken
    stay(resident.client_id, 20, 24)  # a respite recorded as home leave around it: not an anomaly
    absence(19, 25)
    partly = stay(resident.client_id, 30, 34)  # home leave recorded only for its first three days
    absence(30, 32)
    stay(resident.client_id, 40, 44, status="cancelled")  # a cancelled booking takes no place
    # Another client moves in on the last day of a stay (both days are care days), a third the day after.
    touching, after = uuid.UUID(other_client(1)), uuid.UUID(other_client(2))
    last_day = stay(touching, 5, 9)
    stay(after, 5, 8)
    for client_id in (touching, after):
        db.add(Residency(id=uuid.uuid4(), client_id=client_id, unit_id=H24, move_in=d(9)))
    # A resident moved in to a second 24h unit without moving out of the first (two tablets offline).
    second = Residency(id=uuid.uuid4(), client_id=resident.client_id, unit_id=other_h24, move_in=d(50))
    db.add(second)
    await db.commit()

    assert await scan(db) > 0
    found = await tasks(db)
    assert sorted((k, t.details["from"], t.details["to"]) for (k, _), t in found.items()) == sorted(
        [
            ("stay_during_residency", d(10).isoformat(), d(14).isoformat()),
            ("stay_during_residency", d(33).isoformat(), d(34).isoformat()),
            ("stay_during_residency", d(9).isoformat(), d(9).isoformat()),
            ("overlapping_residencies", d(50).isoformat(), None),
        ]
    )
    task = found[("stay_during_residency", str(plain.id))]
    assert (task.scope, task.role, task.client_id, task.date) == (
        "places",
        "coordinator",
        resident.client_id,
        d(10),
    )
    assert task.details["unit_ids"] == [str(STC), str(H24)]
    assert task.details["residency_id"] == str(resident.id)
    assert ("stay_during_residency", str(partly.id)) in found and (
        "stay_during_residency",
        str(last_day.id),
    ) in found
    [pair] = [t for (k, _), t in found.items() if k == "overlapping_residencies"]
    assert sorted(pair.details["residency_ids"]) == sorted([str(resident.id), str(second.id)])

    # Again, nightly and incrementally: nothing new, not even a change-log entry.
    await db.rollback()
    head = await db.scalar(select(SyncHead.version))
    assert await scan(db) == 0
    await db.rollback()
    args = anomalies.LateArgs(clients=[resident.client_id, touching, after], units=[H24])
    assert (await anomalies.late_anomalies(db, datetime.now(UTC), args))[0] == 0
    await db.rollback()
    assert await db.scalar(select(SyncHead.version)) == head
    assert set(await tasks(db)) == set(found)


async def test_a_move_in_asks_for_the_check_in_its_transaction(client, db):
    kotas = await replica(client, "kotas")
    today = today_in_finland()
    resident = uuid.UUID(other_client(3))
    db.add(
        Stay(
            id=uuid.uuid4(),
            client_id=resident,
            unit_id=STC,
            start_date=today + timedelta(days=70),
            end_date=today + timedelta(days=72),
            status="booked",
        )
    )
    await db.commit()
    args = {
        "residency_id": str(uuid.uuid4()),
        "client_id": str(resident),
        "unit_id": str(H24),
        "move_in": str(today + timedelta(days=71)),
    }
    await kotas.mutate("residency.move_in", args)
    assert (await kotas.push()).applied == 1

    await db.rollback()
    row = await db.scalar(
        select(OutboxRow).where(
            OutboxRow.job == "places.late_anomalies", OutboxRow.key == f"residency:{resident}:{H24}"
        )
    )
    assert row is not None and row.status == "pending"
    await db.rollback()
    created, _ = await anomalies.late_anomalies(
        db, datetime.now(UTC), anomalies.LateArgs(clients=[resident], units=[H24])
    )
    assert created == 1
    [task] = (await tasks(db)).values()
    assert (task.kind, task.details["from"], task.details["to"]) == (
        "stay_during_residency",
        (today + timedelta(days=71)).isoformat(),
        (today + timedelta(days=72)).isoformat(),
    )
