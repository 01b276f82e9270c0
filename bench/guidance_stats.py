"""Guidance statistics on a million contacts: report latency, against the same aggregates in plain sqlite3.

1 M contacts (20,000 with `--quick`) over twelve months, six areas, their service points and 60
counsellors, each with one to three topics, are bulk-inserted with `sqlite3.executemany` into a migrated,
seeded database (the `contacts` and `contact_topics` tables, with their covering indexes). Then, in the
same process and on the same file:

- **measured**: `server.contacts.statistics.contacts_report` and `first_contact_report` through the
  server's async SQLAlchemy engine — the SQL aggregation, the roll-up to service points, areas and the
  region, and small-count suppression of the whole region's table — for one month and for twelve;
- **baseline**: the same GROUP BY queries as plain SQL with `sqlite3` (no roll-up, no suppression).
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import statistics as stats
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.server import Workspace
from server.clock import date_in_finland
from server.contacts import statistics
from server.reference.loader import read_data
from server.reference.models import reference_id
from server.settings import Settings

CHANNELS = [
    ("phone", 55),
    ("email", 10),
    ("chat", 8),
    ("service_point", 10),
    ("home_visit", 6),
    ("video", 3),
    ("letter", 1),
    ("electronic_service", 4),
    ("other", 3),
]
CALLERS = [("client", 35), ("relative", 40), ("professional", 20), ("anonymous_other", 5)]
TYPES = [("to_service", 80), ("from_service", 20)]
RESOLUTIONS = [
    ("advice_given", 50),
    ("referred_to_assessment", 15),
    ("application_started", 10),
    ("referred_elsewhere", 10),
    ("no_action_needed", 5),
    ("callback_agreed", 10),
]
TOPICS = [
    "home_care",
    "housing_services",
    "day_activity",
    "short_term_care",
    "informal_care_support",
    "aids_and_accessibility",
    "transport_services",
    "memory_issues",
    "financial_benefits",
    "meals",
    "safety_services",
    "rehabilitation",
    "loneliness_and_activities",
    "disability_services",
    "other",
]
COUNSELLORS_PER_AREA = 10
FIRST_MONTH = date(2025, 1, 1)
BATCH = 50_000


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> list[str]:
    return [code for code, weight in weighted for _ in range(weight)]


def _counsellors(path: Path) -> dict[str, list[str]]:
    """COUNSELLORS_PER_AREA counsellor users per area, inserted as plain rows; area id hex -> user id hex."""
    conn = sqlite3.connect(path)
    found: dict[str, list[str]] = {}
    for area in read_data("areas.json"):
        area_id = reference_id("area", area["code"]).hex
        found[area_id] = []
        for n in range(COUNSELLORS_PER_AREA):
            user = uuid.uuid4().hex
            conn.execute(
                "INSERT INTO users (id, username, display_name, password_hash, language, active, created_at)"
                " VALUES (?, ?, ?, 'x', 'fi', 1, '2025-01-01 00:00:00.000000')",
                (user, f"bench-{area['code']}-{n}", f"Ohjaaja {n}"),
            )
            conn.execute(
                "INSERT INTO role_assignments (id, user_id, role, area_id) VALUES (?, ?, 'counsellor', ?)",
                (uuid.uuid4().hex, user, area_id),
            )
            found[area_id].append(user)
    conn.commit()
    conn.close()
    return found


def generate(path: Path, count: int, months: int = 12) -> dict[str, Any]:
    """Bulk-insert `count` contacts (and their topic rows) over the first `months` months of the year."""
    rng = random.Random(2026)
    people = _counsellors(path)
    points: dict[str, list[str | None]] = {a: [None] for a in people}
    for point in read_data("service_points.json"):
        points[reference_id("area", point["area"]).hex].append(
            reference_id("service_point", point["code"]).hex
        )
    areas = list(people)
    channels, callers, types, resolutions = (_pick(rng, w) for w in (CHANNELS, CALLERS, TYPES, RESOLUTIONS))
    start = datetime.combine(FIRST_MONTH, datetime.min.time(), UTC)
    end = (
        datetime(FIRST_MONTH.year + 1, 1, 1, tzinfo=UTC)
        if months == 12
        else datetime(FIRST_MONTH.year, months + 1, 1, tzinfo=UTC)
    )
    span = int((end - start).total_seconds()) - 7200
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    started = time.perf_counter()
    topics_written = 0
    for offset in range(0, count, BATCH):
        contacts, topics = [], []
        for _ in range(min(BATCH, count - offset)):
            area = rng.choice(areas)
            point, counsellor = rng.choice(points[area]), rng.choice(people[area])
            at = start + timedelta(seconds=rng.randrange(span))
            month = date_in_finland(at).strftime("%Y-%m")
            chosen = rng.sample(TOPICS, rng.choice((1, 1, 2, 3)))
            contact_id = uuid.UUID(int=rng.getrandbits(128)).hex
            contacts.append(
                (
                    contact_id,
                    at.strftime("%Y-%m-%d %H:%M:%S.%f"),
                    month,
                    rng.choice(channels),
                    rng.choice(callers),
                    rng.choice(types),
                    '["' + '","'.join(chosen) + '"]',
                    rng.choice(resolutions),
                    int(rng.random() < 0.15),
                    area,
                    point,
                    counsellor,
                    rng.randrange(2, 45),
                )
            )
            topics += [(contact_id, t, month, area, point, counsellor) for t in chosen]
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO contacts (id, occurred_at, month, channel, caller_type, contact_type, topics, resolution,"
            " follow_up, area_id, service_point_id, counsellor_id, duration_minutes, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '2026-01-01 00:00:00.000000')",
            contacts,
        )
        conn.executemany(
            "INSERT INTO contact_topics (contact_id, topic, month, area_id, service_point_id, counsellor_id)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            topics,
        )
        conn.execute("COMMIT")
        topics_written += len(topics)
    conn.execute("ANALYZE")
    conn.close()
    wall = time.perf_counter() - started
    return {"contacts": count, "topic_rows": topics_written, "insert_s": wall, "rows_per_s": count / wall}


BASELINE_SQL = [
    *(
        f"SELECT month, area_id, service_point_id, counsellor_id, {column}, count(*) FROM contacts"
        f" WHERE month >= ? AND month <= ? GROUP BY 1, 2, 3, 4, 5"
        for column in ("channel", "caller_type", "contact_type", "resolution")
    ),
    "SELECT month, area_id, service_point_id, counsellor_id, topic, count(*) FROM contact_topics"
    " WHERE month >= ? AND month <= ? GROUP BY 1, 2, 3, 4, 5",
    "SELECT month, area_id, service_point_id, counsellor_id, count(*), sum(CASE WHEN resolution IN"
    " ('advice_given', 'referred_to_assessment', 'application_started', 'referred_elsewhere', 'no_action_needed')"
    " THEN 1 ELSE 0 END) FROM contacts WHERE month >= ? AND month <= ? AND contact_type = 'to_service'"
    " AND follow_up = 0 GROUP BY 1, 2, 3, 4",
]


def baseline(path: Path, first: str, last: str, repeat: int) -> float:
    """Median seconds of the same aggregates as plain SQL (fetching every grouped row)."""
    conn = sqlite3.connect(path)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        for sql in BASELINE_SQL:
            conn.execute(sql, (first, last)).fetchall()
        times.append(time.perf_counter() - started)
    conn.close()
    return stats.median(times)


async def measured(data_dir: Path, first: date, last: date, repeat: int) -> tuple[float, int]:
    """Median seconds of both reports through the server's engine, and how many rows they give."""
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from server.db import create_engine

    settings = Settings.from_env({"KAARI_DATA_DIR": str(data_dir)})
    engine = create_engine(settings)
    times, rows = [], 0
    try:
        async with async_sessionmaker(engine)() as session:
            for _ in range(repeat):
                started = time.perf_counter()
                found = await statistics.contacts_report(session, first, last)
                found += await statistics.first_contact_report(session, first, last)
                times.append(time.perf_counter() - started)
                rows = len(found)
                await session.rollback()
    finally:
        await engine.dispose()
    return stats.median(times), rows


def run(ws: Workspace, quick: bool) -> dict[str, Any]:
    # Quick: a smoke run of one month of 20,000 contacts; the measurement: a year of a million.
    count, repeat, months = (20_000, 1, 1) if quick else (1_000_000, 3, 12)
    data_dir = ws.fresh_data_dir("guidance_stats")
    generated = generate(data_dir / "kaari.sqlite3", count, months)
    result: dict[str, Any] = {
        "name": "guidance_stats",
        "params": {"contacts": count, "repeat": repeat},
        "insert": generated,
    }
    rows: list[tuple[Any, ...]] = [
        (
            "guidance_stats",
            f"bulk insert {count:,} contacts",
            f"{generated['insert_s']:.1f} s",
            f"{generated['rows_per_s']:,.0f} contacts/s",
            "",
            "",
            None,
        ),
    ]
    for label, first, last in (
        ("1 month", date(2025, 6, 1), date(2025, 6, 1)),
        ("12 months", date(2025, 1, 1), date(2025, 12, 1)),
    ):
        seconds, out = asyncio.run(measured(data_dir, first, last, repeat))
        raw = baseline(data_dir / "kaari.sqlite3", first.strftime("%Y-%m"), last.strftime("%Y-%m"), repeat)
        result[label] = {"report_s": seconds, "baseline_s": raw, "rows": out}
        target = 2.0 if label == "1 month" else 10.0
        rows.append(
            (
                "guidance_stats",
                f"contacts + first-contact report, {label} ({out:,} rows)",
                f"{seconds * 1000:,.0f} ms",
                f"{raw * 1000:,.0f} ms plain sqlite3 GROUP BY",
                f"{seconds / raw:.1f}x",
                f"≤{target:.0f} s",
                seconds <= target,
            )
        )
    result["rows"] = rows
    return result
