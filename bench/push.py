"""Push throughput of every hot mutation, each beside its own write-set baseline measured in the same run.

One server (SQLite, jobs off so that nothing but the pushes writes), and for each mutation of
`bench.workloads.WORKLOADS`: `devices` reference clients signed in as the user who does that work, each
queueing 100 mutations in its outbox and calling `push()`, `batches` times, all at once (one warm-up batch
each first, not timed). Every result must be `applied`. Figure: applied mutations / wall time of the
concurrent phase.

Baseline (`bench.write_set`): the rows those timed pushes wrote — outcome, change log, records and scopes,
domain rows, access-log entries, outbox rows — found by comparing the database before and after the phase,
written again by plain `sqlite3.executemany` into a copy of the database as it was before (same schema,
WAL, synchronous=FULL), in as many transactions as there were pushes.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path
from typing import Any

from bench import write_set
from bench.server import ServerProcess, Workspace
from bench.wire import TimingTransport, http_client, percentile, tablet
from bench.workloads import WORKLOADS, Workload, make_tasks, read_facts

BATCH = 100
ONLY: list[str] | None = None
"""`python -m bench push --only contact.record,stay.book`: just those mutations."""


async def _drive(base_url: str, workload: Workload, work: list[list[list[dict[str, Any]]]], on_ready) -> dict:
    """Each device: queue 100, push, repeat. The first batch of each is warm-up (sign-in, binding)."""
    transport = TimingTransport()
    async with http_client(base_url, transport) as http:
        devices = [await tablet(http, workload.user) for _ in work]

        async def run(device, batches: list[list[dict[str, Any]]]) -> int:
            applied = 0
            for batch in batches:
                for args in batch:
                    await device.mutate(workload.mutation, args)
                report = await device.push()
                if report.rejected or report.conflicts or report.applied != len(batch):
                    outcomes = [(o.code, o.message) for o in device.outcomes()[:3]]
                    raise RuntimeError(f"{workload.mutation}: push not fully applied: {report} {outcomes}")
                applied += report.applied
            return applied

        await asyncio.gather(*(run(d, b[:1]) for d, b in zip(devices, work, strict=True)))
        on_ready()
        transport.samples.clear()
        start = time.perf_counter()
        counts = await asyncio.gather(*(run(d, b[1:]) for d, b in zip(devices, work, strict=True)))
        wall = time.perf_counter() - start
    pushes = [s for s in transport.samples if s.path.endswith("/push")]
    server_ms = [s.server_ms for s in pushes if s.server_ms is not None]
    return {
        "applied": sum(counts),
        "wall_s": wall,
        "pushes": len(pushes),
        "push_p50_ms": percentile([s.seconds for s in pushes], 50) * 1000,
        "server_p50_ms": percentile(server_ms, 50),
    }


def measure(
    server: ServerProcess, scratch: Path, workload: Workload, facts, devices: int, batches: int
) -> dict:
    records = workload.make(facts, devices * (batches + 1) * BATCH)
    per = len(records) // devices
    work = [
        [records[d * per + b * BATCH : d * per + (b + 1) * BATCH] for b in range(batches + 1)]
        for d in range(devices)
    ]
    before = scratch / "before.sqlite3"
    http = asyncio.run(
        _drive(server.base_url, workload, work, lambda: write_set.snapshot(server.db_path, before))
    )
    diffs = write_set.diff(before, server.db_path)
    target = scratch / "baseline.sqlite3"
    shutil.copyfile(before, target)
    raw = write_set.replay(target, diffs, http["pushes"])
    for path in (before, target):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    kaari = http["applied"] / http["wall_s"]
    baseline = http["applied"] / raw["wall_s"]  # the same mutations' rows, with nothing around them
    return {
        "mutation": workload.mutation,
        "user": workload.user,
        "devices": devices,
        "batches": batches,
        "http": http,
        "write_set": write_set.summary(diffs),
        "raw": raw,
        "mutations_per_s": kaari,
        "baseline_mutations_per_s": baseline,
        "baseline_rows_per_s": raw["rows_per_s"],
        "rows_per_mutation": raw["rows"] / http["applied"],
        "ratio": kaari / baseline,
    }


def run(ws: Workspace, quick: bool) -> dict[str, Any]:
    devices, batches = (1, 1) if quick else (4, 4)
    chosen = [w for w in WORKLOADS if ONLY is None or w.mutation in ONLY]
    data_dir = ws.fresh_data_dir("push")
    make_tasks(data_dir / "kaari.sqlite3", devices * (batches + 1) * BATCH)
    facts = read_facts(data_dir / "kaari.sqlite3")
    results = []
    # Jobs off: the figure and the write set are the pushes' alone (their outbox rows are in both).
    with ServerProcess(data_dir, env={"KAARI_RUN_JOBS": "0"}) as server:
        for workload in chosen:
            d, b = (1, min(batches, 2)) if workload.slow else (devices, batches)
            results.append(measure(server, data_dir, workload, facts, d, b))
    rows = []
    for r in results:
        met = r["ratio"] >= 0.5
        rows.append(
            (
                "push",
                f"{r['mutation']} mutations/s ({r['devices']} devices x {r['batches']} x {BATCH}, {r['user']})",
                f"{r['mutations_per_s']:,.0f}",
                f"{r['baseline_mutations_per_s']:,.0f}/s = {r['baseline_rows_per_s']:,.0f} rows/s "
                f"({r['rows_per_mutation']:.1f} rows each)",
                f"{r['ratio']:.0%}",
                "≥ 50%",
                met,
            )
        )
    return {
        "name": "push",
        "params": {"devices": devices, "batches_per_device": batches, "batch": BATCH, "warmup_batches": 1},
        "results": results,
        "targets": {f"{r['mutation']} ratio >= 0.5": r["ratio"] >= 0.5 for r in results},
        "rows": rows,
    }
