"""Schedules through the reference client as `paiva` (unit staff of oulu-da-1): set, end, closed days, a full
weekday, and the unit's `free_places` checked against an independent recomputation."""

from __future__ import annotations

from datetime import date, timedelta

from server.clock import today_in_finland
from server.places.capacity import free_places_id
from tests.day_activity.helpers import DA, da_client, demo_weekdays, new_id, recompute_day_activity
from tests.places.helpers import DAY_NAMES, published, replica, window


def outcome(sync, mutation):
    return next((o for o in sync.outcomes() if o.id == mutation.id), None)


def next_weekday(name: str, after: int = 1) -> date:
    d = today_in_finland() + timedelta(days=after)
    while DAY_NAMES[d.weekday()] != name:
        d += timedelta(days=1)
    return d


async def set_schedule(sync, client_id, weekdays, valid_from, valid_until=None, schedule_id=None):
    return await sync.mutate(
        "schedule.set",
        {
            "schedule_id": schedule_id or new_id(),
            "client_id": client_id,
            "unit_id": str(DA),
            "weekdays": weekdays,
            "valid_from": valid_from.isoformat(),
            "valid_until": valid_until.isoformat() if valid_until else None,
        },
    )


async def test_demo_schedules_occupy_free_places(client, db):
    paiva = await replica(client, "paiva")
    await paiva.pull()
    assert len(paiva.view.records("schedule")) == 30
    assert published(paiva, DA) == await recompute_day_activity(db, DA, window())
    monday = next_weekday("mon")
    assert published(paiva, DA)[monday.isoformat()] == (20, 12)


async def test_set_and_end_schedule_and_free_places_follow(client, db):
    paiva = await replica(client, "paiva")
    await paiva.pull()
    tuesday = next_weekday("tue")
    # Client 0 attends Mon and Wed in the demo; a second schedule adds Tuesdays from next Tuesday on.
    assert "tue" not in demo_weekdays(0)
    added = await set_schedule(paiva, da_client(0), ["tue"], tuesday)
    report = await paiva.sync()
    assert report.push.applied == 1 and report.pull.mismatched == []
    schedule_id = added.args["schedule_id"]
    record = paiva.view.get("schedule", schedule_id)
    assert record is not None and record.data["weekdays"] == ["tue"] and record.data["valid_until"] is None
    places = paiva.view.get("free_places", str(free_places_id(DA, tuesday)))
    assert places.data["occupied"] == 13 and places.data["free"] == 7
    assert published(paiva, DA)[(tuesday + timedelta(days=1)).isoformat()][1] == 12  # a Wednesday: unchanged
    assert published(paiva, DA) == await recompute_day_activity(db, DA, window())

    # Replacing the schedule (same id) with other weekdays moves the place.
    await set_schedule(paiva, da_client(0), ["thu"], tuesday, schedule_id=schedule_id)
    await paiva.sync()
    assert paiva.view.get("free_places", str(free_places_id(DA, tuesday))).data["occupied"] == 12
    assert published(paiva, DA) == await recompute_day_activity(db, DA, window())

    last = tuesday + timedelta(days=9)
    await paiva.mutate("schedule.end", {"schedule_id": schedule_id, "valid_until": last.isoformat()})
    report = await paiva.sync()
    assert report.push.applied == 1
    assert paiva.view.get("schedule", schedule_id).data["valid_until"] == last.isoformat()
    thursdays = [d for d in window() if DAY_NAMES[d.weekday()] == "thu" and d >= tuesday]
    counts = published(paiva, DA)
    assert [counts[d.isoformat()][1] for d in thursdays[:3]] == [
        13,
        13,
        12,
    ]  # the last day, a Thursday, is included
    assert counts == await recompute_day_activity(db, DA, window())


async def test_closed_day_and_full_day_are_rejected(client, db):
    paiva = await replica(client, "paiva")
    closed = await set_schedule(paiva, da_client(1), ["mon", "sat"], today_in_finland())
    # Fridays: 15 places, 12 demo clients; three more fit, the fourth does not.
    friday = next_weekday("fri")
    fits = [await set_schedule(paiva, da_client(n), ["fri"], friday) for n in (0, 1, 3)]
    full = await set_schedule(paiva, da_client(5), ["thu", "fri"], friday)
    report = await paiva.sync()
    assert report.push.applied == 3 and report.push.rejected == 2
    rejected = outcome(paiva, closed)
    assert rejected.code == "unit_closed" and rejected.details == {"weekdays": ["sat"]}
    rejected = outcome(paiva, full)
    assert rejected.code == "capacity_exhausted"
    assert rejected.details["dates"][0] == friday.isoformat()
    assert all(DAY_NAMES[date.fromisoformat(d).weekday()] == "fri" for d in rejected.details["dates"])
    assert isinstance(rejected.details["alternatives"], list)
    assert str(DA) not in {a["unit_id"] for a in rejected.details["alternatives"]}
    assert all(outcome(paiva, m) is None for m in fits)
    assert published(paiva, DA)[friday.isoformat()] == (15, 15)
    assert published(paiva, DA) == await recompute_day_activity(db, DA, window())


async def test_an_absence_frees_the_scheduled_place(client, db):
    paiva = await replica(client, "paiva")
    await paiva.pull()
    weekdays = [d for d in (today_in_finland(), today_in_finland() + timedelta(days=1)) if d.weekday() < 5]
    if not weekdays:  # a Saturday: nobody is scheduled today or tomorrow (absences are for today or tomorrow)
        return
    day = weekdays[0]
    n = next(n for n in range(30) if DAY_NAMES[day.weekday()] in demo_weekdays(n))
    before = published(paiva, DA)[day.isoformat()]
    args = {"client_id": da_client(n), "unit_id": str(DA), "date": day.isoformat()}
    await paiva.mutate("attendance.mark_absent", {**args, "reason": "ill"})
    await paiva.sync()
    assert published(paiva, DA)[day.isoformat()] == (before[0], before[1] - 1)
    # A presence wins over the absence: the place is taken again.
    await paiva.mutate("attendance.check_in", {**args, "at": f"{day.isoformat()}T09:00:00+02:00"})
    await paiva.sync()
    assert published(paiva, DA)[day.isoformat()] == before
    assert published(paiva, DA) == await recompute_day_activity(db, DA, window())


async def test_other_units_staff_cannot_schedule(client):
    hoiva = await replica(client, "hoiva")
    paiva = await replica(client, "paiva")
    await paiva.pull()
    schedule_id = next(iter(paiva.view.records("schedule"))).id
    attempts = [
        await set_schedule(hoiva, da_client(2), ["mon"], today_in_finland()),
        await hoiva.mutate(
            "schedule.end", {"schedule_id": schedule_id, "valid_until": today_in_finland().isoformat()}
        ),
    ]
    report = await hoiva.sync()
    assert report.push.rejected == 2
    assert [outcome(hoiva, m).code for m in attempts] == ["forbidden", "forbidden"]
