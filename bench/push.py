"""Push throughput: batches of 100 `attendance.check_in` from several concurrent reference clients.

Baseline, same run, same disk: `sqlite3.executemany` of the same 100-row records into an equivalent
`attendance` table (same columns, primary key, unique (client, unit, date) and index), WAL and
synchronous=FULL like the server's engine, one transaction per batch of 100.
"""

from __future__ import annotations

import asyncio
import json
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


def raw_write_set(path: Path, batches: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """The rows Kaari writes for the same check-ins, by plain `sqlite3.executemany` into the server's own
    schema (same indexes, foreign keys, pragmas): per mutation its attendance row, its outcome, its change,
    change-scope, record and record-scope rows; per batch the head, the scope's checksum and the client's
    `last_seq`. This is what the push would cost with no Python around it at all.
    """
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
        conn.execute(f"PRAGMA {pragma}")
    sync_client, user = conn.execute("SELECT id, user_id FROM sync_clients LIMIT 1").fetchone()
    version = conn.execute("SELECT version FROM sync_head").fetchone()[0]
    seq = conn.execute("SELECT coalesce(max(seq), 0) FROM sync_mutations WHERE client_id = ?", (sync_client,))
    seq = seq.fetchone()[0]
    scope = f"unit:{UNIT_ID}"
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    start = time.perf_counter()
    for batch in batches:
        rows: dict[str, list[tuple]] = {name: [] for name in ("att", "out", "chg", "cs", "rec", "rs")}
        for args in batch:
            version, seq = version + 1, seq + 1
            record = attendance_id(args["client_id"], args["unit_id"], args["date"])
            data = json.dumps({**args, "id": str(record), "checked_out_at": None, "absent_reason": None})
            client = uuid.UUID(args["client_id"]).hex
            rows["att"].append(
                (record.hex, client, uuid.UUID(UNIT_ID).hex, args["date"], args["at"], now, user)
            )
            result = json.dumps({"attendance_id": str(record)})
            rows["out"].append((sync_client, seq, uuid.uuid4().hex, result, user, now, now))
            rows["chg"].append(
                (version, version + len(batch) - 1, str(record), json.dumps([scope]), data, now)
            )
            rows["cs"].append((scope, version))
            rows["rec"].append((str(record), version, json.dumps([scope]), data))
            rows["rs"].append((scope, str(record)))
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO attendance (id, client_id, unit_id, date, checked_in_at, updated_at, updated_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows["att"],
        )
        conn.executemany(
            "INSERT INTO sync_mutations (client_id, seq, id, name, version, status, result, user_id,"
            " client_time, received_at) VALUES (?, ?, ?, 'attendance.check_in', 1, 'applied', ?, ?, ?, ?)",
            rows["out"],
        )
        conn.executemany(
            "INSERT INTO changes (version, tx_last, record_type, record_id, op, scopes, old_scopes, data, at)"
            " VALUES (?, ?, 'attendance', ?, 'put', ?, '[]', ?, ?)",
            rows["chg"],
        )
        conn.executemany("INSERT INTO change_scopes (scope, version) VALUES (?, ?)", rows["cs"])
        conn.executemany(
            "INSERT INTO sync_records (record_type, record_id, version, scopes, data)"
            " VALUES ('attendance', ?, ?, ?, ?)",
            rows["rec"],
        )
        conn.executemany(
            "INSERT INTO record_scopes (scope, record_type, record_id) VALUES (?, 'attendance', ?)",
            rows["rs"],
        )
        conn.execute("UPDATE sync_head SET version = ? WHERE id = 1", (version,))
        conn.execute("UPDATE scope_state SET count = count + ? WHERE scope = ?", (len(batch), scope))
        conn.execute("UPDATE sync_clients SET last_seq = ? WHERE id = ?", (seq, sync_client))
        conn.execute("COMMIT")
    wall = time.perf_counter() - start
    conn.close()
    n = sum(len(b) for b in batches)
    return {"mutations": n, "wall_s": wall, "mutations_per_s": n / wall}


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
    # The same write set for as many check-ins again, further in the past (no unique key collides).
    more = check_ins(unit_clients(data_dir / "kaari.sqlite3"), 2 * len(records))[len(records) :]
    write_set = raw_write_set(
        data_dir / "kaari.sqlite3",
        [more[i : i + BATCH] for i in range(0, len(more) - len(work) * BATCH, BATCH)],
    )
    throughput = http["applied"] / http["wall_s"]
    ratio = throughput / raw["rows_per_s"]
    write_ratio = throughput / write_set["mutations_per_s"]
    return {
        "name": "push",
        "params": {"tablets": tablets, "batches_per_tablet": batches, "batch": BATCH, "warmup_batches": 1},
        "http": http,
        "raw": raw,
        "raw_write_set": write_set,
        "mutations_per_s": throughput,
        "baseline_rows_per_s": raw["rows_per_s"],
        "ratio": ratio,
        "write_set_ratio": write_ratio,
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
                "the same, against Kaari's own write set",
                f"{throughput:,.0f}",
                f"{write_set['mutations_per_s']:,.0f} mutations/s raw executemany of the rows Kaari writes",
                f"{write_ratio:.1%}",
                "",
                None,
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
