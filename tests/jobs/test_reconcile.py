"""The reconciliation jobs on crafted anomalies in the demo county: each anomaly is found, its task opened
once, and a second run changes nothing (no task, no change-log entry). In both runners: the single-node
one and a burst-mode arq worker on the real Redis."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select

from notifications.models import Notification
from server.applications.models import Application
from server.assessments.models import Assessment
from server.clock import today_in_finland
from server.day_activity import anomalies as double_check_ins
from server.day_activity.jobs import UnitDay
from server.day_activity.models import Attendance, HeadCount
from server.db import begin_write
from server.demo import demo_id
from server.jobs import outbox
from server.jobs.models import OutboxRow
from server.places import anomalies
from server.places.capacity import free_places_id
from server.places.jobs import FREE_PLACES_REPAIRED, observe_repaired
from server.places.models import Stay
from server.reference.models import Unit, reference_id
from server.sync.models import SyncHead, SyncRecord
from server.tasks.models import Task
from tests.day_activity.helpers import DA, da_client
from tests.places.helpers import STC, STC_CLIENTS, replica

H24 = reference_id("unit", "oulu-h24-3")
OULU = reference_id("area", "oulu")
OHJAAJA = demo_id("user", "ohjaaja")


async def add(jobs, job: str, key: str, args=None) -> None:
    async with jobs.runtime.sessions() as session:
        await begin_write(session)
        await outbox.add(session, job, key, args)
        await session.commit()


async def result(jobs, job: str, key: str):
    async with jobs.runtime.sessions() as session:
        row = await session.scalar(select(OutboxRow).where(OutboxRow.job == job, OutboxRow.key == key))
    assert row is not None and row.status == "done", (job, row and row.error)
    return row.result


async def snapshot(jobs) -> tuple[int, list[tuple]]:
    async with jobs.runtime.sessions() as session:
        head = await session.scalar(select(SyncHead.version))
        tasks = (await session.execute(select(Task.id, Task.kind, Task.status).order_by(Task.id))).all()
    return head, tasks


async def tasks_of(jobs, kind: str) -> list[Task]:
    async with jobs.runtime.sessions() as session:
        return list((await session.scalars(select(Task).where(Task.kind == kind).order_by(Task.id))).all())


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_each_reconciliation_job_finds_its_anomaly_once(demo, jobs, caplog):
    caplog.set_level(logging.WARNING, logger="kaari.places")
    today = today_in_finland()
    past = today - timedelta(days=3)
    client = uuid.UUID(da_client(1))
    async with jobs.runtime.sessions() as session:
        await begin_write(session)
        # A head count far from what the unit's rows say; asked for by headcount.record in real life.
        session.add(HeadCount(id=uuid.uuid4(), unit_id=DA, date=past, count=999))
        # The same client present in two units on one day (two tablets offline), uploaded in one push.
        await session.execute(
            delete(Attendance).where(Attendance.client_id == client, Attendance.date == past)
        )
        at = datetime.now(UTC)
        for unit in (DA, STC):
            session.add(
                Attendance(id=uuid.uuid4(), client_id=client, unit_id=unit, date=past, checked_in_at=at)
            )
        await double_check_ins.attendance_uploaded(session, [(client, past)])
        # Two booked stays of one client that share days (far ahead: no place counted twice in the window).
        stc_client = uuid.UUID(STC_CLIENTS[0])
        for start, end in ((100, 105), (104, 110)):
            session.add(
                Stay(
                    id=uuid.uuid4(),
                    client_id=stc_client,
                    unit_id=STC,
                    start_date=today + timedelta(days=start),
                    end_date=today + timedelta(days=end),
                    status="booked",
                )
            )
        await anomalies.stay_uploaded(session, stc_client, STC)
        # A 24h unit's places lowered below its residents (a reference-data change the bookings predate).
        (await session.get(Unit, H24)).capacity = 5
        # A free-places record the incremental upkeep got wrong.
        record = await session.get(
            SyncRecord, ("free_places", str(free_places_id(DA, today + timedelta(days=1))))
        )
        record.data = {**record.data, "free": record.data["free"] + 7}
        # A 75+ assessment not started on its deadline day, and an application 85 days old nobody handles.
        assessment = Assessment(
            id=uuid.uuid4(),
            client_id=client,
            area_id=OULU,
            counsellor_id=OHJAAJA,
            contacted_at=at - timedelta(days=10),
            contact_on=today - timedelta(days=10),
            rule="age_75",
            deadline=today,
            status="contacted",
        )
        application = Application(
            id=uuid.uuid4(),
            client_id=client,
            area_id=OULU,
            service="home_care",
            received_on=today - timedelta(days=85),
            status="received",
        )
        session.add_all([assessment, application])
        await outbox.add(session, "day_activity.headcount_drift", f"{DA}:{past}", UnitDay(DA, past))
        await session.commit()

    await jobs.drain()  # the incremental ones, asked for in the upload's transaction
    for job in (
        "places.move_free_places_window",
        "places.anomaly_scan",
        "day_activity.anomaly_scan",
        "assessments.deadline_watch",
        "applications.deadline_watch",
    ):
        await add(jobs, job, "first")
    await jobs.drain()

    drift = await tasks_of(jobs, "headcount_drift")
    assert [(t.scope, t.date, t.details["counted"]) for t in drift] == [(f"unit:{DA}", past, 999)]
    doubles = await tasks_of(jobs, "double_check_in")
    assert sorted(t.scope for t in doubles) == sorted([f"unit:{DA}", f"unit:{STC}"])
    assert {t.client_id for t in doubles} == {client}
    overlaps = await tasks_of(jobs, "overlapping_stays")
    assert [(t.scope, t.client_id, t.date) for t in overlaps] == [
        ("places", stc_client, today + timedelta(days=104))
    ]
    over = await tasks_of(jobs, "over_capacity")
    assert [(t.scope, t.unit_id, t.date) for t in over] == [("places", H24, today)]
    assert over[0].details["capacity"] == 5
    deadline = [t for t in await tasks_of(jobs, "assessment_deadline") if t.about_id == str(assessment.id)]
    assert [(t.scope, t.due) for t in deadline] == [(f"user:{OHJAAJA}", today)]
    late = [t for t in await tasks_of(jobs, "application_deadline") if t.about_id == str(application.id)]
    assert [(t.scope, t.due) for t in late] == [
        (f"area:{OULU}", application.received_on + timedelta(days=90))
    ]

    # The tampered record, and the 24h unit's whole window (its places changed outside a mutation).
    drifted = [(r.unit_id, r.date) for r in caplog.records if r.getMessage() == "free_places drift"]
    assert [d for u, d in drifted if u == str(DA)] == [(today + timedelta(days=1)).isoformat()]
    assert len([d for u, d in drifted if u == str(H24)]) == 61 and len(drifted) == 62
    assert (await result(jobs, "places.move_free_places_window", "first"))["repaired"] == 62
    async with jobs.runtime.sessions() as session:
        await observe_repaired(session)
        assert FREE_PLACES_REPAIRED._value.get() == 62
        fixed = await session.get(
            SyncRecord, ("free_places", str(free_places_id(DA, today + timedelta(days=1))))
        )
        assert fixed.data["free"] == fixed.data["capacity"] - fixed.data["occupied"]
        notified = await session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == OHJAAJA, Notification.key == f"deadline:{assessment.id}:{today}")
        )
    assert notified == 1, "the existing deadline_at_risk rule told the counsellor"

    # Every job again: nothing new anywhere.
    before = await snapshot(jobs)
    await add(jobs, "day_activity.headcount_drift", f"{DA}:{past}:again", UnitDay(DA, past))
    await add(jobs, "places.late_anomalies", "again", anomalies.LateArgs(clients=[stc_client], units=[H24]))
    await add(
        jobs,
        "day_activity.double_check_ins",
        "again",
        double_check_ins.CheckIns([double_check_ins.ClientDay(client, past)]),
    )
    for job in (
        "places.move_free_places_window",
        "places.anomaly_scan",
        "day_activity.anomaly_scan",
        "assessments.deadline_watch",
        "applications.deadline_watch",
        "day_activity.headcount_scan",
    ):
        await add(jobs, job, "second")
    await jobs.drain()
    assert await snapshot(jobs) == before
    assert (await result(jobs, "places.move_free_places_window", "second"))["repaired"] == 0
    async with jobs.runtime.sessions() as session:
        await observe_repaired(session)
        assert FREE_PLACES_REPAIRED._value.get() == 0
        assert (
            await session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.key.like(f"deadline:{assessment.id}:%"))
            )
            == 1
        )


def test_an_assessment_is_at_risk_from_the_last_working_day_before_its_deadline():
    # Contact on Monday 30 March 2026: the 7th working day is Friday 10 April (Good Friday 3 April and
    # Easter Monday 6 April are holidays). At risk from Thursday 9 April; over the weekend when overdue.
    from server.assessments.deadlines import deadline_for
    from server.assessments.jobs import assessment_at_risk

    contact = date(2026, 3, 30)
    row = Assessment(
        status="contacted", rule="age_75", contact_on=contact, deadline=deadline_for(contact, "age_75")
    )
    assert row.deadline == date(2026, 4, 10)
    at_risk = {day: assessment_at_risk(row, day) for day in (date(2026, 4, d) for d in range(2, 13))}
    assert [d.day for d, risk in at_risk.items() if risk] == [9, 10, 11, 12]
    # A deadline on a Monday: the Friday before is the last working day, and the weekend stays at risk.
    monday = Assessment(status="contacted", rule="age_75", deadline=date(2026, 4, 20))
    assert [assessment_at_risk(monday, date(2026, 4, d)) for d in (16, 17, 18, 19)] == [
        False,
        True,
        True,
        True,
    ]
    started = Assessment(status="started", rule="age_75", deadline=date(2026, 4, 20))
    assert not assessment_at_risk(started, date(2026, 4, 20))


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_uploads_ask_for_the_checks_in_their_own_transaction(client, db):
    """A push of check-ins asks once for the whole batch (absences ask nothing); a booking per client and
    unit; a refused booking asks for nothing."""
    paiva, kotas = await replica(client, "paiva"), await replica(client, "kotas")
    day = today_in_finland() - timedelta(days=2)
    base = {"unit_id": str(DA), "date": day.isoformat(), "at": f"{day.isoformat()}T09:00:00+02:00"}
    for n in (1, 2):
        await paiva.mutate("attendance.check_in", {**base, "client_id": da_client(n)})
    await paiva.mutate(
        "attendance.mark_absent",
        {"unit_id": str(DA), "date": day.isoformat(), "client_id": da_client(3), "reason": "ill"},
    )
    assert (await paiva.sync()).push.applied == 3
    booking = {"client_id": STC_CLIENTS[1], "unit_id": str(STC), "start_date": str(today_in_finland())}
    await kotas.mutate(
        "stay.book", {**booking, "stay_id": str(uuid.uuid4()), "end_date": booking["start_date"]}
    )
    await kotas.mutate(
        "stay.book",
        {
            **booking,
            "stay_id": str(uuid.uuid4()),
            "end_date": str(date.fromisoformat(booking["start_date"]) - timedelta(days=1)),
        },
    )
    assert (await kotas.sync()).push.applied == 1

    await db.rollback()
    rows = (
        await db.execute(
            select(OutboxRow.job, OutboxRow.key, OutboxRow.args)
            .where(OutboxRow.job.in_(["places.late_anomalies", "day_activity.double_check_ins"]))
            .order_by(OutboxRow.id)
        )
    ).all()
    assert [(job, key.split(":")[0]) for job, key, _ in rows] == [
        ("day_activity.double_check_ins", "check_ins"),
        ("places.late_anomalies", "stay"),
    ]
    assert sorted(rows[0].args["check_ins"]) == sorted([[da_client(n), day.isoformat()] for n in (1, 2)])
    assert rows[1].key == f"stay:{STC_CLIENTS[1]}:{STC}"
