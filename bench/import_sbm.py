"""Import of the five regional systems' generated exports, beside plain `executemany` of the same rows.

`kaari import sbm` runs as the operator runs it (one process per system, in go-live order) into a copy of
the seeded database; its wall time, and the largest resident memory of those processes, are measured.
The baseline then inserts exactly the rows the import added (every table it wrote, read back from the
imported database) into another copy with `sqlite3.executemany`, in one transaction, with Kaari's pragmas.
The ratio is baseline time / import time: the share of plain `executemany` speed the import reaches,
parsing, checking and matching included. Targets (docs/import.md): all five in ≤ 10 min, ratio ≥ 0.30,
memory < 1 GB.
"""

from __future__ import annotations

import resource
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.server import REPO, Workspace, bench_env
from server.sbm_import.demo_exports import write_exports
from server.sbm_import.mapping import SYSTEMS

TABLES = (
    "users",
    "clients",
    "client_identities",
    "imported_records",
    "possible_duplicates",
    "conflicts",
    "contacts",
    "contact_topics",
    "referrals",
    "queue_entries",
    "stays",
    "residencies",
    "day_activity_schedules",
    "client_units",
)
CHUNK = 50_000


def import_all(data_dir: Path, exports: Path) -> float:
    start = time.perf_counter()
    for system in SYSTEMS:
        subprocess.run(
            [sys.executable, "-m", "server.cli", "import", "sbm", "--system", system, str(exports / system)],
            cwd=REPO,
            env=bench_env(data_dir),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    return time.perf_counter() - start


def baseline(imported: Path, pristine: Path) -> tuple[float, int]:
    """Seconds to executemany the rows the import added into `pristine`, and how many rows."""
    db = sqlite3.connect(pristine, isolation_level=None)
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=FULL"):
        db.execute(f"PRAGMA {pragma}")
    db.execute("ATTACH DATABASE ? AS imported", (str(imported),))
    # The rows to insert are read first (not timed), chunk by chunk into temporary tables.
    for table in TABLES:
        db.execute(
            f"CREATE TEMP TABLE new_{table} AS SELECT * FROM imported.{table} EXCEPT SELECT * FROM main.{table}"
        )
    seconds, rows = 0.0, 0
    db.execute("BEGIN IMMEDIATE")
    for table in TABLES:
        columns = len(db.execute(f"SELECT * FROM new_{table} LIMIT 0").description)
        cursor = db.execute(f"SELECT * FROM new_{table}")
        while chunk := cursor.fetchmany(CHUNK):
            start = time.perf_counter()
            db.executemany(f"INSERT INTO main.{table} VALUES ({','.join('?' * columns)})", chunk)
            seconds += time.perf_counter() - start
            rows += len(chunk)
    start = time.perf_counter()
    db.execute("COMMIT")
    seconds += time.perf_counter() - start
    db.close()
    return seconds, rows


def run(ws: Workspace, quick: bool) -> dict[str, Any]:
    scale = 0.02 if quick else 1.0
    data_dir = ws.fresh_data_dir("import_sbm")
    pristine = ws.fresh_data_dir("import_sbm_baseline")
    exports = ws.root / "sbm-exports"
    counts = write_exports(exports, scale=scale)
    source_rows = sum(sum(files.values()) for files in counts.values())
    import_s = import_all(data_dir, exports)
    memory_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    raw_s, rows = baseline(data_dir / "kaari.sqlite3", pristine / "kaari.sqlite3")
    ratio = raw_s / import_s
    return {
        "name": "import_sbm",
        "params": {"scale": scale, "source_rows": source_rows, "rows_written": rows},
        "import_s": import_s,
        "baseline_s": raw_s,
        "max_rss_mb": memory_mb,
        "rows": [
            (
                "import_sbm",
                f"5 systems, {source_rows:,} source rows → {rows:,} rows",
                f"{import_s:.1f} s",
                f"executemany {raw_s:.1f} s",
                f"{ratio:.2f}",
                "≥ 0.30, ≤ 600 s",
                ratio >= 0.30 and import_s <= 600,
            ),
            (
                "import_sbm",
                "largest import process",
                f"{memory_mb:,.0f} MB",
                "",
                "",
                "< 1024 MB",
                memory_mb < 1024,
            ),
        ],
    }
