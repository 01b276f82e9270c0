"""Guidance statistics equal counts computed directly from generated raw rows, and no published count
is 1-4 nor recoverable from the sums; the endpoints speak JSON and CSV."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from server.accounts.models import RoleAssignment, User
from server.applications import statistics as application_statistics
from server.applications.models import Application
from server.assessments import statistics
from server.assessments.deadlines import deadline_for, rule_for
from server.assessments.models import Assessment
from server.clients.models import Client
from server.reference.models import Area, Municipality
from tests.conftest import bearer, sign_in

TODAY = date(2026, 11, 30)


async def generate(db, n: int = 400) -> None:
    rng = random.Random(5)
    areas = list((await db.execute(select(Area.id).order_by(Area.code))).scalars())
    municipality = (await db.execute(select(Municipality.id).limit(1))).scalar_one()
    counsellors = []
    for k in range(8):
        user = User(
            id=uuid.uuid4(),
            username=f"stat{k}",
            display_name=f"Stat {k}",
            password_hash="x",
            roles=[RoleAssignment(role="counsellor", area_id=areas[k % 3])],
        )
        db.add(user)
        counsellors.append((user.id, areas[k % 3]))
    clients = [
        Client(id=uuid.uuid4(), first_name="A", last_name="B", municipality_id=municipality)
        for _ in range(50)
    ]
    db.add_all(clients)
    await db.flush()
    for _ in range(n):
        counsellor, area = rng.choice(counsellors[: rng.choice([3, 8])])
        contact = date(2026, 9, 1) + timedelta(days=rng.randrange(90))
        urgent = rng.random() < 0.1
        rule = rule_for(urgent, rng.choice([70, 80, 90]))
        deadline = deadline_for(contact, rule)
        started = contact + timedelta(days=rng.randrange(0, 14)) if rng.random() < 0.8 else None
        decided = started + timedelta(days=rng.randrange(0, 30)) if started and rng.random() < 0.6 else None
        service = decided + timedelta(days=rng.randrange(0, 20)) if decided and rng.random() < 0.7 else None
        closed = (
            contact + timedelta(days=rng.randrange(1, 12)) if started is None and rng.random() < 0.5 else None
        )
        status = (
            "service_started"
            if service
            else "decided"
            if decided
            else "started"
            if started
            else "closed"
            if closed
            else "contacted"
        )
        db.add(
            Assessment(
                id=uuid.uuid4(),
                client_id=rng.choice(clients).id,
                area_id=area,
                counsellor_id=counsellor,
                contacted_at=datetime.combine(contact, time(8), tzinfo=UTC),
                contact_on=contact,
                urgent=urgent,
                rule=rule,
                deadline=deadline,
                status=status,
                started_on=started,
                decided_on=decided,
                decision="granted" if decided else None,
                service_started_on=service,
                closed_on=closed,
            )
        )
        received = date(2026, 9, 1) + timedelta(days=rng.randrange(90))
        outcome = rng.random()
        db.add(
            Application(
                id=uuid.uuid4(),
                client_id=rng.choice(clients).id,
                area_id=area,
                service="home_care",
                received_on=received,
                handler_id=counsellor if rng.random() < 0.9 else None,
                status="decided" if outcome < 0.5 else "withdrawn" if outcome < 0.6 else "in_process",
                decision="granted" if outcome < 0.5 else None,
                decided_on=received + timedelta(days=rng.randrange(0, 40)) if outcome < 0.5 else None,
                withdrawn_on=received + timedelta(days=3) if 0.5 <= outcome < 0.6 else None,
            )
        )
    await db.commit()


def check_protection(rows, count_field: str) -> None:
    """No published count of 1-4; in every month, an area never has exactly one hidden part below a
    published total, nor the region exactly one hidden area."""
    assert all(r.suppressed or getattr(r, count_field) is not None for r in rows)
    for row in rows:
        for name in row.__struct_fields__:
            if name in ("month", "level", "area_id", "suppressed") or name.endswith(("_id", "_name")):
                continue
            value = getattr(row, name)
            if isinstance(value, int) and not isinstance(value, bool):
                assert value == 0 or value >= 5 or name.endswith(("_mean", "_median", "_percent")), (
                    name,
                    row,
                )
    months = {r.month for r in rows}
    for month in months:
        of_month = [r for r in rows if r.month == month]
        for area in {r.area_id for r in of_month if r.level == "area"}:
            parts = [r for r in of_month if r.area_id == area and r.level not in ("area", "region")]
            total = next(r for r in of_month if r.level == "area" and r.area_id == area)
            hidden = [p for p in parts if p.suppressed]
            assert not (len(hidden) == 1 and not total.suppressed), (month, area)


async def test_reports_equal_raw_counts_with_suppression(db):
    await generate(db)
    raw = (await db.execute(select(Assessment))).scalars().all()
    apps = (await db.execute(select(Application))).scalars().all()
    db.expunge_all()
    await db.rollback()

    rows = await statistics.on_time_report(db, date(2026, 9, 1), date(2026, 11, 1), TODAY)
    check_protection(rows, "statutory")
    for row in rows:
        if row.suppressed:
            continue
        chosen = [
            a
            for a in raw
            if a.deadline is not None
            and a.contact_on.strftime("%Y-%m") == row.month
            and (row.area_id is None or a.area_id == row.area_id)
            and (row.counsellor_id is None or a.counsellor_id == row.counsellor_id)
        ]
        classes = Counter(statistics.on_time_class(a, TODAY) for a in chosen)
        assert (row.statutory, row.on_time, row.late, row.ended, row.pending) == (
            len(chosen),
            classes["on_time"],
            classes["late"],
            classes["ended"],
            classes["pending"],
        ), row
        on_time = sum(1 for a in chosen if a.started_on is not None and a.started_on <= a.deadline)
        assert row.on_time == on_time
    assert any(r.suppressed for r in rows) and any(not r.suppressed and r.level == "counsellor" for r in rows)

    rows = await application_statistics.applications_report(db, date(2026, 9, 1), date(2026, 11, 1))
    check_protection(rows, "received")
    for row in rows:
        if row.suppressed:
            continue
        first = date.fromisoformat(row.month + "-01")
        end = statistics.month_end(first)
        mine = [
            a
            for a in apps
            if (row.area_id is None or a.area_id == row.area_id)
            and (row.level != "handler" or a.handler_id == row.handler_id)
        ]
        assert row.received == sum(1 for a in mine if first <= a.received_on <= end)
        assert row.decided == sum(1 for a in mine if a.decided_on and first <= a.decided_on <= end)
        assert row.open_at_end == sum(
            1
            for a in mine
            if a.received_on <= end
            and ((a.decided_on or a.withdrawn_on) is None or (a.decided_on or a.withdrawn_on) > end)
        )

    rows = await statistics.durations_report(db, date(2026, 9, 1), date(2026, 12, 1), TODAY)
    check_protection(rows, "decisions")
    for row in rows:
        if row.suppressed:
            assert row.contact_to_decision_mean is None and row.decisions is None
            continue
        mine = [
            a
            for a in raw
            if a.decided_on
            and a.decided_on.strftime("%Y-%m") == row.month
            and (row.area_id is None or a.area_id == row.area_id)
            and (row.counsellor_id is None or a.counsellor_id == row.counsellor_id)
        ]
        assert row.decisions == len(mine)
        if mine:
            days = [(a.decided_on - a.contact_on).days for a in mine]
            assert row.contact_to_decision_mean == round(sum(days) / len(days), 1)
        starts = [
            a
            for a in raw
            if a.service_started_on
            and a.service_started_on.strftime("%Y-%m") == row.month
            and (row.area_id is None or a.area_id == row.area_id)
            and (row.counsellor_id is None or a.counsellor_id == row.counsellor_id)
        ]
        assert row.starts == len(starts)


async def test_endpoints_json_and_csv(client):
    me = await sign_in(client, "ohjaaja")
    for path in ("applications", "on-time", "durations"):
        response = await client.get(
            f"/api/assessments/statistics/{path}?from=2026-01&to=2026-02", headers=bearer(me["access_token"])
        )
        assert response.status_code == 200, response.text
        assert {r["month"] for r in response.json()["rows"]} == {"2026-01", "2026-02"}
        csv = await client.get(
            f"/api/assessments/statistics/{path}?from=2026-01&format=csv", headers=bearer(me["access_token"])
        )
        assert csv.headers["content-type"].startswith("text/csv") and csv.text.startswith("month,level")
    staff = await sign_in(client, "paiva")
    denied = await client.get("/api/assessments/statistics/on-time", headers=bearer(staff["access_token"]))
    assert denied.status_code == 403
