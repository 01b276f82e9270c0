"""The tasks domain: a task reaches only its role's scope, is completed once (offline, from two devices),
is listed to the caller's scope only (and the listing is logged), and survives the migration both ways."""

from __future__ import annotations

import asyncio
import uuid

from alembic import command
from sqlalchemy import func, select, text

from server.access_log.models import AccessLogEntry
from server.clock import today_in_finland
from server.db import utcnow
from server.demo import demo_id
from server.migrate import alembic_config, upgrade
from server.reference.models import reference_id
from server.sync.changes import ChangeSet
from server.tasks.models import Task
from server.tasks.service import NewTask, open_task
from tests.conftest import bearer, sign_in
from tests.day_activity.helpers import DA, da_client
from tests.places.helpers import replica

OULU = reference_id("area", "oulu")
OHJAAJA = demo_id("user", "ohjaaja")


async def make_tasks(db) -> dict[str, Task]:
    """One task for each kind of role, as a reconciliation job would open them."""
    changes, now = ChangeSet(), utcnow()
    specs = {
        "unit": NewTask("headcount_drift", "unit_staff", "unit_day", f"{DA}:x", unit_id=DA),
        "coordinator": NewTask(
            "overlapping_stays", "coordinator", "stay", "s1", client_id=uuid.UUID(da_client(1))
        ),
        "counsellor": NewTask(
            "assessment_deadline", "counsellor", "assessment", "a1", assignee_id=OHJAAJA, area_id=OULU
        ),
        "area": NewTask("application_deadline", "counsellor", "application", "p1", area_id=OULU),
        "admin": NewTask("admin_check", "admin", "unit", str(DA)),
    }
    made = {}
    for name, spec in specs.items():
        made[name], created = await open_task(db, changes, spec, now)
        assert created
        again, created = await open_task(db, changes, spec, now)
        assert not created and again.id == made[name].id, "the same finding names the same task"
    await changes.flush(db)
    await db.commit()
    return made


async def test_tasks_reach_their_role_only_and_complete_once(client, db):
    tasks = await make_tasks(db)
    paiva, kotas, ohjaaja = [await replica(client, u) for u in ("paiva", "kotas", "ohjaaja")]
    for sync in (paiva, kotas, ohjaaja):
        await sync.pull()
    ids = {name: str(t.id) for name, t in tasks.items()}
    assert {t.id for t in paiva.view.records("task")} == {ids["unit"]}
    assert {t.id for t in kotas.view.records("task")} == {ids["coordinator"]}
    assert {t.id for t in ohjaaja.view.records("task")} == {ids["counsellor"], ids["area"]}
    assert paiva.view.get("task", ids["unit"]).data["role"] == "unit_staff"

    # Another role's task is refused; the coordinator completes theirs offline on two devices.
    refused = await paiva.mutate("task.complete", {"task_id": ids["coordinator"], "outcome": "x"})
    await paiva.push()
    assert next(o for o in paiva.outcomes() if o.id == refused.id).code == "forbidden"
    second = await replica(client, "kotas")
    await second.pull()
    await kotas.mutate("task.complete", {"task_id": ids["coordinator"], "outcome": "Stays merged."})
    await second.mutate("task.complete", {"task_id": ids["coordinator"], "outcome": "Called the unit."})
    assert (await kotas.push()).applied == 1
    assert (await second.push()).applied == 1, "completing a done task is accepted and changes nothing"
    await second.pull()
    data = second.view.get("task", ids["coordinator"]).data
    assert data["status"] == "done" and data["outcome"] == "Stays merged." and data["closed_by"]

    # The listing: the caller's scope only, open ones by default; a task naming a client is logged.
    await db.rollback()
    logged_before = await db.scalar(select(func.count()).select_from(AccessLogEntry))
    listed = {}
    for username in ("paiva", "kotas", "ohjaaja", "admin", "hoiva"):
        token = (await sign_in(client, username))["access_token"]
        response = await client.get("/api/tasks", headers=bearer(token))
        assert response.status_code == 200, response.text
        listed[username] = {t["id"] for t in response.json()["tasks"]}
    assert listed == {
        "paiva": {ids["unit"]},
        "kotas": set(),  # done
        "ohjaaja": {ids["counsellor"], ids["area"]},
        "admin": {ids["admin"]},
        "hoiva": set(),
    }
    token = (await sign_in(client, "kotas"))["access_token"]
    done = await client.get("/api/tasks", params={"status": "done"}, headers=bearer(token))
    assert [t["id"] for t in done.json()["tasks"]] == [ids["coordinator"]]
    await db.rollback()
    entries = (await db.scalars(select(AccessLogEntry).where(AccessLogEntry.record_type == "task"))).all()
    assert len(entries) == 1 and entries[0].record_id == ids["coordinator"]
    assert await db.scalar(select(func.count()).select_from(AccessLogEntry)) == logged_before + 1
    assert (await client.get("/api/tasks")).status_code == 401


async def test_the_migration_moves_the_no_show_tasks_both_ways(demo, db):
    changes, now = ChangeSet(), utcnow()
    attendance = uuid.uuid4()
    row, _ = await open_task(
        db,
        changes,
        NewTask(
            "call_family",
            "unit_staff",
            "attendance",
            str(attendance),
            id=uuid.uuid5(attendance, "no_show"),
            unit_id=DA,
            client_id=uuid.UUID(da_client(3)),
            date=today_in_finland(),
        ),
        now,
    )
    await db.commit()
    await db.close()
    await asyncio.to_thread(command.downgrade, alembic_config(demo), "0010_notifications")
    old = (await db.execute(text("SELECT kind, status FROM day_activity_tasks"))).all()
    assert old == [("call_family", "open")]
    await db.rollback()
    await db.close()
    await asyncio.to_thread(upgrade, demo)
    back = await db.get(Task, row.id, populate_existing=True)
    assert (back.scope, back.about_type, back.about_id) == (f"unit:{DA}", "attendance", str(attendance))
    assert back.unit_id == DA and back.client_id == uuid.UUID(da_client(3))
