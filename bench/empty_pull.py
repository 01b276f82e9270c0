"""Incremental pull with nothing new, on a change log of 10 k and then 1 M rows.

The change log is grown directly in `changes` + `change_scopes` (one bulk insert, scopes the client does
not hold: `unit:<random>`), because a million pushes would take hours; `sync_head` moves with it. The
client (user `paiva`) does its first sync, then pulls with its cookie again and again: every pull returns
no ops. Two figures per pull: the server's own time from its `Server-Timing: app;dur=…` header (the
target's "server time": the pull handler, from reading the body to encoding the answer) and the HTTP
round trip on loopback (authentication, middlewares, uvicorn and the hop as well: an upper bound).
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.server import ServerProcess, Workspace
from bench.wire import TimingTransport, http_client, percentile, tablet

OTHER_SCOPES = [f"unit:{uuid.UUID(int=random.Random(7).getrandbits(128) + i)}" for i in range(200)]


def grow_change_log(db_path: Path, target_rows: int) -> dict[str, Any]:
    """Append change-log rows (in other scopes) until `changes` holds `target_rows`; one transaction."""
    conn = sqlite3.connect(db_path, isolation_level=None, timeout=60)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    start = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    head = conn.execute("SELECT version FROM sync_head WHERE id = 1").fetchone()[0]
    have = conn.execute("SELECT count(*) FROM changes").fetchone()[0]
    add = max(0, target_rows - have)
    at = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    rng = random.Random(target_rows)

    def rows():
        for n in range(add):
            version = head + 1 + n
            scope = OTHER_SCOPES[n % len(OTHER_SCOPES)]
            rid = str(uuid.UUID(int=rng.getrandbits(128)))
            data = {
                "id": rid,
                "client_id": str(uuid.UUID(int=rng.getrandbits(128))),
                "unit_id": scope[5:],
                "date": "2026-01-01",
                "checked_in_at": "2026-01-01T08:05:00+02:00",
                "checked_out_at": None,
                "absent_reason": None,
            }
            yield (
                version,
                version,
                "attendance",
                rid,
                "put",
                json.dumps([scope]),
                "[]",
                json.dumps(data),
                at,
            )

    conn.executemany(
        "INSERT INTO changes (version, tx_last, record_type, record_id, op, scopes, old_scopes, data, at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows(),
    )
    conn.executemany(
        "INSERT INTO change_scopes (scope, version) VALUES (?, ?)",
        ((OTHER_SCOPES[n % len(OTHER_SCOPES)], head + 1 + n) for n in range(add)),
    )
    conn.execute("UPDATE sync_head SET version = ? WHERE id = 1", (head + add,))
    conn.execute("COMMIT")
    # A database in service is checkpointed: do not measure reads through a 500 MB write-ahead log.
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    total = conn.execute("SELECT count(*) FROM changes").fetchone()[0]
    conn.close()
    return {"rows": total, "added": add, "seconds": time.perf_counter() - start}


async def _pulls(t, transport: TimingTransport, n: int, warmup: int) -> dict[str, Any]:
    for _ in range(warmup):
        await t.pull()
    transport.samples.clear()
    ops = 0
    for _ in range(n):
        report = await t.pull()
        ops += report.ops
        if report.pages != 1 or report.mismatched:
            raise RuntimeError(f"unexpected incremental pull: {report}")
    pulls = [s for s in transport.samples if s.path.endswith("/pull")]
    times = [s.seconds * 1000 for s in pulls]
    server = [s.server_ms for s in pulls if s.server_ms is not None]
    if len(server) != len(pulls):
        raise RuntimeError("a pull response had no Server-Timing: app;dur=… header")
    return {
        "pulls": len(times),
        "ops": ops,
        # Server time (Server-Timing: app;dur): the figure the target is about.
        "p50_ms": percentile(server, 50),
        "p99_ms": percentile(server, 99),
        "max_ms": max(server),
        "mean_ms": sum(server) / len(server),
        # HTTP round trip on loopback: server time + auth + middlewares + uvicorn + the hop.
        "rtt_p50_ms": percentile(times, 50),
        "rtt_p99_ms": percentile(times, 99),
        "rtt_max_ms": max(times),
        "rtt_mean_ms": sum(times) / len(times),
        "response_bytes": transport.samples[-1].received,
    }


async def _measure(server: ServerProcess, sizes: list[int], n: int) -> dict[int, Any]:
    transport = TimingTransport()
    out: dict[int, Any] = {}
    async with http_client(server.base_url, transport) as http:
        t = await tablet(http)
        first = await t.pull()
        if first.mismatched:
            raise RuntimeError(f"first sync checksum mismatch: {first}")
        for size in sizes:
            grown = await asyncio.to_thread(grow_change_log, server.db_path, size)
            result = await _pulls(t, transport, n, warmup=max(5, n // 10))
            out[size] = {"change_log": grown, **result}
            if result["ops"]:
                raise RuntimeError(f"an empty pull returned {result['ops']} ops")
    return out


def run(ws: Workspace, quick: bool) -> dict[str, Any]:
    small, large, n = (1_000, 5_000, 30) if quick else (10_000, 1_000_000, 500)
    data_dir = ws.fresh_data_dir("empty_pull")
    with ServerProcess(data_dir) as server:
        measured = asyncio.run(_measure(server, [small, large], n))
    s, big = measured[small], measured[large]
    ratio = big["p99_ms"] / s["p99_ms"]
    met = big["p99_ms"] <= 10
    label = f"{large:,}"
    return {
        "name": "pull",
        "params": {
            "pulls": n,
            "sizes": [small, large],
            "timing": "p*_ms: server time (Server-Timing app;dur); rtt_*: HTTP round trip on loopback",
        },
        "small": s,
        "large": big,
        "p99_ratio_large_vs_small": ratio,
        "targets": {"p99 <= 10 ms at large": met},
        "rows": [
            (
                "pull",
                f"empty pull p99, {label} change rows (server time)",
                f"{big['p99_ms']:.2f} ms",
                f"{s['p99_ms']:.2f} ms at {small:,} rows",
                f"{ratio:.2f}x",
                "p99 ≤10 ms, size-independent",
                met,
            ),
            (
                "pull",
                f"empty pull p50, {label} change rows (server time)",
                f"{big['p50_ms']:.2f} ms",
                f"{s['p50_ms']:.2f} ms at {small:,} rows",
                f"{big['p50_ms'] / s['p50_ms']:.2f}x",
                "",
                None,
            ),
            (
                "pull",
                f"empty pull p99 / p50, {label} change rows (round trip)",
                f"{big['rtt_p99_ms']:.1f} / {big['rtt_p50_ms']:.1f} ms",
                f"{s['rtt_p99_ms']:.1f} / {s['rtt_p50_ms']:.1f} ms at {small:,} rows",
                f"{big['rtt_p99_ms'] / s['rtt_p99_ms']:.2f}x",
                "",
                None,
            ),
        ],
    }
