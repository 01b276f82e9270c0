"""Push throughput: batches of 100 `attendance.check_in` from several concurrent reference clients.

Baseline, same run, same disk: `sqlite3.executemany` of the same 100-row records into an equivalent
`attendance` table (same columns, primary key, unique (client, unit, date) and index), WAL and
synchronous=FULL like the server's engine, one transaction per batch of 100.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.server import ServerProcess, Workspace
from bench.wire import TimingTransport, http_client, percentile, tablet
from server.demo import DEMO_DAY_UNIT
from server.reference.models import reference_id
from sync_protocol.policies import attendance_id

BATCH = 100
UNIT_ID = str(reference_id("unit", DEMO_DAY_UNIT))


def unit_clients(db_path: Path) -> list[str]:
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute(
            "SELECT client_id FROM client_units WHERE unit_id = ? ORDER BY client_id",
            (uuid.UUID(UNIT_ID).hex,),
        ).fetchall()
    return [str(uuid.UUID(r[0])) for r in rows]


def check_ins(clients: list[str], count: int) -> list[dict[str, Any]]:
    """`count` check-in args with distinct (client, unit, date): the unit's clients times past days."""
    out: list[dict[str, Any]] = []
    day = date.today() - timedelta(days=1)
    while len(out) < count:
        for client in clients:
            at = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=8, minutes=len(out) % 50)
            out.append(
                {"client_id": client, "unit_id": UNIT_ID, "date": day.isoformat(), "at": at.isoformat()}
            )
            if len(out) == count:
                break
        day -= timedelta(days=1)
    return out


async def _drive(base_url: str, work: list[list[list[dict[str, Any]]]]) -> dict[str, Any]:
    """Each tablet: queue 100 check-ins, push, repeat. First batch of each is warm-up (sign-in, binding)."""
    transport = TimingTransport()
    async with http_client(base_url, transport) as http:
        tablets = [await tablet(http) for _ in work]

        async def run(t, batches: list[list[dict[str, Any]]]) -> int:
            applied = 0
            for batch in batches:
                for args in batch:
                    await t.mutate("attendance.check_in", args)
                report = await t.push()
                if report.rejected or report.conflicts or report.applied != len(batch):
                    raise RuntimeError(f"push not fully applied: {report}")
                applied += report.applied
            return applied

        await asyncio.gather(*(run(t, [b[0]]) for t, b in zip(tablets, work, strict=True)))
        transport.samples.clear()
        start = time.perf_counter()
        counts = await asyncio.gather(*(run(t, b[1:]) for t, b in zip(tablets, work, strict=True)))
        wall = time.perf_counter() - start
    pushes = [s.seconds for s in transport.samples if s.path.endswith("/push")]
    return {
        "applied": sum(counts),
        "wall_s": wall,
        "push_p50_ms": percentile(pushes, 50) * 1000,
        "push_p99_ms": percentile(pushes, 99) * 1000,
        "pushes": len(pushes),
    }


RAW_DDL = """
CREATE TABLE attendance (
    id CHAR(32) NOT NULL PRIMARY KEY,
    client_id CHAR(32) NOT NULL,
    unit_id CHAR(32) NOT NULL,
    date DATE NOT NULL,
    checked_in_at DATETIME,
    checked_out_at DATETIME,
    absent_reason VARCHAR(40),
    updated_at DATETIME NOT NULL,
    updated_by CHAR(32),
    UNIQUE (client_id, unit_id, date)
);
CREATE INDEX ix_attendance_client_id ON attendance (client_id);
"""


def raw_executemany(path: Path, batches: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """The same records as rows, 100 per transaction, WAL + synchronous=FULL, on the same disk."""
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
        conn.execute(f"PRAGMA {pragma}")
    conn.executescript(RAW_DDL)
    user = uuid.uuid4().hex
    rows = [
        [
            (
                attendance_id(a["client_id"], a["unit_id"], a["date"]).hex,
                uuid.UUID(a["client_id"]).hex,
                uuid.UUID(a["unit_id"]).hex,
                a["date"],
                a["at"],
                None,
                None,
                datetime.now(UTC).isoformat(),
                user,
            )
            for a in batch
        ]
        for batch in batches
    ]
    start = time.perf_counter()
    for batch in rows:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO attendance VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", batch)
        conn.execute("COMMIT")
    wall = time.perf_counter() - start
    conn.close()
    n = sum(len(b) for b in rows)
    return {"rows": n, "wall_s": wall, "rows_per_s": n / wall}


def run(ws: Workspace, quick: bool) -> dict[str, Any]:
    tablets, batches = (2, 1) if quick else (4, 15)
    data_dir = ws.fresh_data_dir("push")
    clients = unit_clients(data_dir / "kaari.sqlite3")
    records = check_ins(clients, tablets * (batches + 1) * BATCH)
    per_tablet = len(records) // tablets
    work = [
        [records[t * per_tablet + b * BATCH : t * per_tablet + (b + 1) * BATCH] for b in range(batches + 1)]
        for t in range(tablets)
    ]
    with ServerProcess(data_dir) as server:
        http = asyncio.run(_drive(server.base_url, work))
    # Baseline: the timed batches (not the warm-up ones), after the server has stopped, same disk.
    raw = raw_executemany(data_dir / "raw_baseline.sqlite3", [b for t in work for b in t[1:]])
    throughput = http["applied"] / http["wall_s"]
    ratio = throughput / raw["rows_per_s"]
    return {
        "name": "push",
        "params": {"tablets": tablets, "batches_per_tablet": batches, "batch": BATCH, "warmup_batches": 1},
        "http": http,
        "raw": raw,
        "mutations_per_s": throughput,
        "baseline_rows_per_s": raw["rows_per_s"],
        "ratio": ratio,
        "targets": {
            "mutations_per_s >= 5000": throughput >= 5000,
            "ratio >= 0.25": ratio >= 0.25,
        },
        "rows": [
            (
                "push",
                f"mutations/s (100/batch, {tablets} clients)",
                f"{throughput:,.0f}",
                f"{raw['rows_per_s']:,.0f} rows/s raw executemany",
                f"{ratio:.1%}",
                "≥5,000/s and ≥25%",
                throughput >= 5000 and ratio >= 0.25,
            ),
            (
                "push",
                "push round trip p50 / p99 (100 mutations)",
                f"{http['push_p50_ms']:.0f} / {http['push_p99_ms']:.0f} ms",
                "",
                "",
                "",
                None,
            ),
        ],
    }
