"""No-show follow-up tasks and head counts through the reference client as `paiva` (oulu-da-1)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from server.clock import today_in_finland
from server.day_activity.models import HeadCount
from server.jobs.models import OutboxRow
from server.tasks.models import Task
from sync_protocol.policies import attendance_id
from tests.day_activity.helpers import DA, da_client, new_id
from tests.places.helpers import replica


def outcome(sync, mutation):
    return next((o for o in sync.outcomes() if o.id == mutation.id), None)


async def test_a_no_show_marked_on_two_tablets_creates_one_task_which_closes(client, db):
    first, second = await replica(client, "paiva"), await replica(client, "paiva")
    today = today_in_finland().isoformat()
    args = {"client_id": da_client(4), "unit_id": str(DA), "date": today, "reason": "no_show"}
    # Both tablets are offline when they mark it, then both push.
    await first.mutate("attendance.mark_absent", args)
    await second.mutate("attendance.mark_absent", args)
    assert (await first.push()).applied == 1
    assert (await second.push()).applied == 1
    # An absence for another reason creates no task.
    await first.mutate("attendance.mark_absent", {**args, "client_id": da_client(6), "reason": "ill"})
    await first.sync()
    await second.pull()

    await db.rollback()
    assert (await db.execute(select(func.count()).select_from(Task))).scalar_one() == 1
    record_id = attendance_id(uuid.UUID(da_client(4)), DA, today_in_finland())
    task_id = str(uuid.uuid5(record_id, "no_show"))
    for tablet in (first, second):
        tasks = tablet.view.records("task")
        assert [t.id for t in tasks] == [task_id]
        data = tasks[0].data
        assert data["status"] == "open" and data["kind"] == "call_family"
        assert data["client_id"] == da_client(4) and data["unit_id"] == str(DA) and data["outcome"] is None

    hoiva = await replica(client, "hoiva")
    forbidden = await hoiva.mutate("task.complete", {"task_id": task_id, "outcome": "Called"})
    await hoiva.push()
    assert outcome(hoiva, forbidden).code == "forbidden"

    empty = await second.mutate("task.complete", {"task_id": task_id, "outcome": ""})
    await second.mutate(
        "task.complete", {"task_id": task_id, "outcome": "Daughter called: a doctor's visit."}
    )
    report = await second.sync()
    assert report.push.applied == 1 and outcome(second, empty).code is not None
    await first.pull()
    data = first.view.get("task", task_id).data
    assert data["status"] == "done" and data["outcome"] == "Daughter called: a doctor's visit."
    assert data["closed_at"] is not None and data["closed_by"] is not None


async def test_headcount_is_recorded_and_synced(client, db):
    paiva, hoiva = await replica(client, "paiva"), await replica(client, "hoiva")
    today = today_in_finland().isoformat()
    headcount_id = new_id()
    args = {"headcount_id": headcount_id, "unit_id": str(DA), "date": today, "count": 14, "note": "lunch"}
    await paiva.mutate("headcount.record", args)
    negative = await paiva.mutate("headcount.record", {**args, "headcount_id": new_id(), "count": -1})
    report = await paiva.sync()
    assert report.push.applied == 1 and outcome(paiva, negative) is not None
    assert paiva.view.get("headcount", headcount_id).data == {
        "id": headcount_id,
        "unit_id": str(DA),
        "date": today,
        "count": 14,
        "note": "lunch",
    }
    await db.rollback()
    assert (await db.get(HeadCount, uuid.UUID(headcount_id))).count == 14
    # The comparison with the computed occupancy is asked for in the same transaction (tests/jobs).
    asked = await db.scalar(
        select(OutboxRow.args).where(
            OutboxRow.job == "day_activity.headcount_drift", OutboxRow.key == f"{DA}:{today}"
        )
    )
    assert asked == {"unit_id": str(DA), "date": today}

    forbidden = await hoiva.mutate("headcount.record", {**args, "headcount_id": new_id()})
    await hoiva.push()
    assert outcome(hoiva, forbidden).code == "forbidden"
