"""The roster and the attendance-days report over HTTP, as `paiva` (oulu-da-1), with their access-log entries."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

from sqlalchemy import or_, select

from server.access_log.models import AccessLogEntry
from server.clock import today_in_finland
from server.day_activity.models import Attendance
from tests.conftest import bearer, sign_in
from tests.day_activity.helpers import DA, da_client, demo_weekdays, last_weekday
from tests.places.helpers import DAY_NAMES, replica


async def log_entries(db, record_type):
    await db.rollback()
    return (
        (await db.execute(select(AccessLogEntry).where(AccessLogEntry.record_type == record_type)))
        .scalars()
        .all()
    )


async def test_roster_shows_scheduled_clients_with_their_state_and_logs_each(client, db):
    day = last_weekday()
    scheduled = [n for n in range(30) if DAY_NAMES[day.weekday()] in demo_weekdays(n)]
    assert len(scheduled) == 12
    paiva = await replica(client, "paiva")
    a, b, c = (da_client(n) for n in scheduled[:3])
    at = f"{day.isoformat()}T09:00:00+02:00"
    base = {"unit_id": str(DA), "date": day.isoformat()}
    await paiva.mutate("attendance.check_in", {**base, "client_id": a, "at": at})
    await paiva.mutate(
        "attendance.check_out", {**base, "client_id": a, "at": f"{day.isoformat()}T15:00:00+02:00"}
    )
    await paiva.mutate("attendance.check_in", {**base, "client_id": b, "at": at})
    await paiva.mutate("attendance.mark_absent", {**base, "client_id": c, "reason": "ill"})
    assert (await paiva.sync()).push.applied == 4

    token = (await sign_in(client, "paiva"))["access_token"]
    response = await client.get(
        f"/api/day-activity/{DA}/roster", params={"date": day.isoformat()}, headers=bearer(token)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["date"] == day.isoformat()
    states = {e["client_id"]: e for e in body["clients"]}
    assert set(states) == {da_client(n) for n in scheduled}
    assert states[a]["state"] == "checked_out" and states[a]["checked_in_at"] is not None
    assert states[b]["state"] == "checked_in" and states[b]["checked_out_at"] is None
    assert states[c]["state"] == "absent" and states[c]["absent_reason"] == "ill"
    others = [e for cid, e in states.items() if cid not in (a, b, c)]
    assert {e["state"] for e in others} == {"expected"}

    entries = await log_entries(db, "roster")
    assert sorted(str(e.client_id) for e in entries) == sorted(states)
    assert {(e.operation, e.username, e.role) for e in entries} == {("read", "paiva", "unit_staff")}
    assert {e.record_id for e in entries} == {f"{DA}:{day.isoformat()}"}

    # A weekend day: the unit is closed, nobody is scheduled, nothing is logged.
    saturday = day + timedelta(days=(5 - day.weekday()))
    response = await client.get(
        f"/api/day-activity/{DA}/roster", params={"date": saturday.isoformat()}, headers=bearer(token)
    )
    assert response.status_code == 200 and response.json()["clients"] == []
    assert len(await log_entries(db, "roster")) == 12

    hoiva = (await sign_in(client, "hoiva"))["access_token"]
    response = await client.get(f"/api/day-activity/{DA}/roster", headers=bearer(hoiva))
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert len(await log_entries(db, "roster")) == 12


async def test_attendance_days_report_equals_the_rows_csv_included(client, db):
    today = today_in_finland()
    first = today.replace(day=1)
    days = sorted({first, first + timedelta(days=1), today, max(first, today - timedelta(days=2))})
    days = [d for d in days if d.month == today.month and d <= today]
    paiva = await replica(client, "paiva")
    for i, d in enumerate(days):
        for n in range(i, i + 4):
            await paiva.mutate(
                "attendance.check_in",
                {
                    "client_id": da_client(n),
                    "unit_id": str(DA),
                    "date": d.isoformat(),
                    "at": f"{d.isoformat()}T09:00:00+02:00",
                },
            )
        # An absence is not an attendance day; a check-out alone is.
        args = {"client_id": da_client(20), "unit_id": str(DA), "date": d.isoformat()}
        await paiva.mutate("attendance.mark_absent", {**args, "reason": "ill"})
        await paiva.mutate(
            "attendance.check_out",
            {**args, "client_id": da_client(21), "at": f"{d.isoformat()}T15:00:00+02:00"},
        )
    await paiva.sync()

    await db.rollback()
    rows = (
        await db.execute(
            select(Attendance.client_id, Attendance.date).where(
                Attendance.unit_id == DA,
                or_(Attendance.checked_in_at.is_not(None), Attendance.checked_out_at.is_not(None)),
            )
        )
    ).all()
    expected: dict[str, int] = {}
    for client_id, d in rows:
        if (d.year, d.month) == (today.year, today.month):
            expected[str(client_id)] = expected.get(str(client_id), 0) + 1
    assert da_client(20) not in expected and expected[da_client(21)] == len(days)

    month = today.strftime("%Y-%m")
    token = (await sign_in(client, "paiva"))["access_token"]
    url = f"/api/day-activity/{DA}/attendance-days"
    response = await client.get(url, params={"month": month}, headers=bearer(token))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["month"] == month
    assert {c["client_id"]: c["days"] for c in body["clients"]} == expected

    response = await client.get(url, params={"month": month}, headers={**bearer(token), "Accept": "text/csv"})
    assert response.status_code == 200 and response.headers["content-type"] == "text/csv; charset=utf-8"
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["client_id"]: int(r["attendance_days"]) for r in table} == expected

    entries = await log_entries(db, "attendance_days")
    assert len(entries) == 2 * len(expected)
    assert {str(e.client_id) for e in entries} == set(expected)
    assert {(e.operation, e.role) for e in entries} == {("read", "unit_staff")}

    admin = (await sign_in(client, "admin"))["access_token"]
    response = await client.get(url, params={"month": month}, headers=bearer(admin))
    assert response.status_code == 200 and len(response.json()["clients"]) == len(expected)
    assert len(await log_entries(db, "attendance_days")) == 3 * len(expected)

    hoiva = (await sign_in(client, "hoiva"))["access_token"]
    response = await client.get(url, params={"month": month}, headers=bearer(hoiva))
    assert response.status_code == 403
    response = await client.get(url, params={"month": "2026-13"}, headers=bearer(token))
    assert response.status_code == 400
    assert len(await log_entries(db, "attendance_days")) == 3 * len(expected)
    assert uuid.UUID(body["unit_id"]) == DA
