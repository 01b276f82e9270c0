"""The hot mutations of `python -m bench push`: who pushes each, and `count` valid args for it.

Every workload signs in as the demo user who would do the work (`paiva` in the day-activity unit
`oulu-da-1`, `ohjaaja` a counsellor of area Oulu, `hoiva` staff of the short-term unit Lepola, booking for its clients) and makes
args that must all be `applied`: distinct attendance days, bookings only where the unit has a place,
tasks that exist (made before the server starts, as the no-show follow-up makes them).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from server.demo import DEMO_DAY_UNIT, DEMO_SHORT_TERM_UNIT
from server.reference.models import reference_id

UNIT_ID = str(reference_id("unit", DEMO_DAY_UNIT))
AREA_ID = str(reference_id("area", "oulu"))


def _uuid(hex_id: str) -> str:
    return str(uuid.UUID(hex_id))


@dataclass
class Facts:
    """What the args are made of, read from the seeded database before the server starts."""

    unit_clients: list[str]
    area_clients: list[str]
    codes: dict[str, list[str]]
    short_term: list[tuple[str, int]]  # (unit id, capacity): the demo's short-term unit (Lepola)
    stay_clients: list[str]  # the clients it serves (the staff's basis to book for them)
    free: dict[tuple[str, str], int]  # (unit id, ISO date) → free places, within the 60-day horizon
    booked: dict[tuple[str, str], int]  # (unit id, ISO date) → stays that day, after the horizon
    tasks: list[str]
    today: date


def read_facts(db: Path) -> Facts:
    conn = sqlite3.connect(db)
    unit_hex = uuid.UUID(UNIT_ID).hex
    unit_clients = [
        _uuid(r[0])
        for r in conn.execute(
            "SELECT client_id FROM client_units WHERE unit_id = ? ORDER BY client_id", (unit_hex,)
        )
    ]
    area_clients = [
        _uuid(r[0])
        for r in conn.execute(
            # Clients the area's counsellors have a guidance relationship with (a basis, as authorisation asks).
            "SELECT client_id FROM client_areas WHERE area_id = ? ORDER BY client_id",
            (uuid.UUID(AREA_ID).hex,),
        )
    ]
    codes = {
        list_id: [c["code"] for c in json.loads(raw) if c.get("active", True)]
        for list_id, raw in conn.execute("SELECT id, codes FROM code_lists")
    }
    short_term = [
        (_uuid(i), cap)
        for i, cap in conn.execute("SELECT id, capacity FROM units WHERE code = ?", (DEMO_SHORT_TERM_UNIT,))
    ]
    stay_clients = [
        _uuid(r[0])
        for r in conn.execute(
            "SELECT client_id FROM client_units WHERE unit_id = ? ORDER BY client_id",
            (uuid.UUID(short_term[0][0]).hex,),
        )
    ]
    free = {}
    for (raw,) in conn.execute("SELECT data FROM sync_records WHERE record_type = 'free_places'"):
        data = json.loads(raw)
        free[(data["unit_id"], data["date"])] = data["free"]
    booked: dict[tuple[str, str], int] = {}
    for unit, start, end in conn.execute(
        "SELECT unit_id, start_date, end_date FROM stays WHERE status = 'booked'"
    ):
        day = date.fromisoformat(start)
        while day <= date.fromisoformat(end):
            key = (_uuid(unit), day.isoformat())
            booked[key] = booked.get(key, 0) + 1
            day += timedelta(days=1)
    tasks = [_uuid(r[0]) for r in conn.execute("SELECT id FROM tasks WHERE kind = 'bench' ORDER BY id")]
    conn.close()
    today = min(date.fromisoformat(d) for _, d in free) if free else date.today()
    return Facts(unit_clients, area_clients, codes, short_term, stay_clients, free, booked, tasks, today)


def make_tasks(db: Path, count: int) -> None:
    """`count` open tasks for the day-activity unit's staff (as a no-show follow-up would be)."""
    conn = sqlite3.connect(db)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    rows = [
        (
            uuid.uuid4().hex,
            "bench",
            "unit_staff",
            f"unit:{UNIT_ID}",
            uuid.UUID(UNIT_ID).hex,
            "attendance",
            str(uuid.uuid4()),
            now,
            "open",
        )
        for _ in range(count)
    ]
    with conn:
        conn.executemany(
            "INSERT INTO tasks (id, kind, role, scope, unit_id, about_type, about_id, created_at, status)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    conn.close()


def _attendance(facts: Facts, count: int, skip_days: int, make: Callable[[str, date], dict]) -> list[dict]:
    """`count` events with distinct (client, day): the unit's clients, on days before `skip_days` ago."""
    out: list[dict] = []
    day = facts.today - timedelta(days=1 + skip_days)
    while len(out) < count:
        for client in facts.unit_clients:
            out.append(make(client, day))
            if len(out) == count:
                break
        day -= timedelta(days=1)
    return out


def _at(day: date, minute: int) -> str:
    return (datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=8, minutes=minute)).isoformat()


def check_in(facts: Facts, count: int) -> list[dict]:
    return _attendance(
        facts,
        count,
        0,
        lambda c, d: {"client_id": c, "unit_id": UNIT_ID, "date": d.isoformat(), "at": _at(d, 0)},
    )


def check_out(facts: Facts, count: int) -> list[dict]:
    # Days further back than the check-ins': each check-out makes its day's record, as a late upload does.
    return _attendance(
        facts,
        count,
        400,
        lambda c, d: {"client_id": c, "unit_id": UNIT_ID, "date": d.isoformat(), "at": _at(d, 480)},
    )


def mark_absent(facts: Facts, count: int) -> list[dict]:
    reason = next(c for c in facts.codes["attendance.absent_reason"] if c != "no_show")
    return _attendance(
        facts,
        count,
        800,
        lambda c, d: {"client_id": c, "unit_id": UNIT_ID, "date": d.isoformat(), "reason": reason},
    )


def contact_record(facts: Facts, count: int) -> list[dict]:
    """Anonymous contacts, one in seven about a known client of the area (as in the demo's year)."""
    c = facts.codes
    now = datetime.now(UTC)
    out = []
    for n in range(count):
        args = {
            "contact_id": str(uuid.uuid4()),
            "occurred_at": (now - timedelta(minutes=n)).isoformat(),
            "channel": c["contact.channel"][n % len(c["contact.channel"])],
            "caller_type": c["contact.caller_type"][n % len(c["contact.caller_type"])],
            "contact_type": c["contact.contact_type"][n % len(c["contact.contact_type"])],
            "topics": [c["contact.topics"][n % len(c["contact.topics"])]],
            "resolution": c["contact.resolution"][n % len(c["contact.resolution"])],
            "area_id": AREA_ID,
            "duration_minutes": 10,
            "note": "Soitti ja kysyi palveluista.",
        }
        if n % 7 == 6:
            args["client_id"] = facts.area_clients[n % len(facts.area_clients)]
        out.append(args)
    return out


def event_record(facts: Facts, count: int) -> list[dict]:
    kinds, topics = facts.codes["event.kind"], facts.codes["contact.topics"]
    return [
        {
            "event_id": str(uuid.uuid4()),
            "kind": kinds[n % len(kinds)],
            "title": f"Infotilaisuus {n}",
            "held_on": (facts.today - timedelta(days=n % 200)).isoformat(),
            "area_id": AREA_ID,
            "participant_count": 12,
            "topics": [topics[n % len(topics)]],
            "place": "Kirjasto",
        }
        for n in range(count)
    ]


def client_update(facts: Facts, count: int) -> list[dict]:
    clients = facts.area_clients
    return [
        {"client_id": clients[n % len(clients)], "changes": {"phone": f"+358 40 {n:07d}"}}
        for n in range(count)
    ]


def audit_viewed(facts: Facts, count: int) -> list[dict]:
    now = datetime.now(UTC)
    clients = facts.unit_clients
    return [
        {"entries": [{"client_id": clients[n % len(clients)], "at": now.isoformat(), "view": "client"}]}
        for n in range(count)
    ]


def task_complete(facts: Facts, count: int) -> list[dict]:
    if len(facts.tasks) < count:
        raise RuntimeError(f"{count} tasks needed, {len(facts.tasks)} made")
    return [{"task_id": t, "outcome": "Soitettu omaiselle."} for t in facts.tasks[:count]]


def stay_book(facts: Facts, count: int) -> list[dict]:
    """One-day stays for the area's clients, only where a place is free: first within the 60-day horizon of
    free places (each booking changes one day's free places, as bookings do), then after it."""
    slots: list[tuple[str, str]] = []
    for (unit, day), free in sorted(facts.free.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if any(unit == u for u, _ in facts.short_term) and day > facts.today.isoformat():
            slots += [(unit, day)] * max(0, free - 1)
    day = facts.today + timedelta(days=62)
    while len(slots) < count and day < facts.today + timedelta(days=360):
        for unit, capacity in facts.short_term:
            taken = facts.booked.get((unit, day.isoformat()), 0)
            slots += [(unit, day.isoformat())] * max(0, capacity // 2 - taken)
        day += timedelta(days=1)
    if len(slots) < count:
        raise RuntimeError(f"only {len(slots)} free short-term places for {count} bookings")
    clients = facts.stay_clients
    return [
        {
            "stay_id": str(uuid.uuid4()),
            "client_id": clients[n % len(clients)],
            "unit_id": unit,
            "start_date": day,
            "end_date": day,
        }
        for n, (unit, day) in enumerate(slots[:count])
    ]


@dataclass(frozen=True)
class Workload:
    mutation: str
    user: str
    make: Callable[[Facts, int], list[dict[str, Any]]]
    slow: bool = False  # tens of ms each: one device, fewer batches, so that a run stays short


WORKLOADS = [
    Workload("contact.record", "ohjaaja", contact_record),
    Workload("attendance.check_in", "paiva", check_in),
    Workload("attendance.check_out", "paiva", check_out),
    Workload("attendance.mark_absent", "paiva", mark_absent),
    Workload("stay.book", "hoiva", stay_book, slow=True),
    Workload("client.update", "ohjaaja", client_update, slow=True),
    Workload("event.record", "ohjaaja", event_record),
    Workload("audit.viewed", "paiva", audit_viewed),
    Workload("task.complete", "paiva", task_complete),
]
