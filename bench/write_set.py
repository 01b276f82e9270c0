"""The write-set baseline: exactly the rows a run of pushes wrote, written again by plain `executemany`.

Before a timed phase the live database is copied (SQLite's backup API, a consistent snapshot: the
server is idle between phases); after it, the copy and the live file are compared table by table on
their primary keys: rows that are new (INSERT), changed (UPDATE) or gone (DELETE). Those rows — the
outcomes, change log, records and scopes, domain rows, access-log entries, outbox rows, whatever the
server wrote — are then written again by `sqlite3.executemany` into a second copy of the snapshot (same
schema, indexes, triggers and data), in as many transactions as there were pushes, with WAL and
`synchronous=FULL` like the server. So the baseline is the cost of the mutation's write set with no Python,
HTTP or checks around it, on the same disk in the same run.

Rows a table got fewer of than there were pushes (the change-log head, a scope's checksum, a replica's
`last_seq`, the access-log head) are rows every push rewrites: the baseline writes them in every
transaction. The others are split evenly over the transactions, in the order they were written.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SKIP = {"alembic_version", "job_runner_lease", "auth_sessions", "refresh_tokens", "login_failures"}


def snapshot(live: Path, dest: Path) -> Path:
    """A consistent copy of the live database (the server may hold it open in WAL mode)."""
    dest.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{live}?mode=ro", uri=True)
    out = sqlite3.connect(dest)
    with out:
        src.backup(out)
    src.close()
    out.close()
    return dest


@dataclass
class TableDiff:
    table: str
    columns: list[str]
    keys: list[str]
    inserts: list[tuple] = field(default_factory=list)
    updates: list[tuple] = field(default_factory=list)  # non-key values, then the key
    deletes: list[tuple] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.inserts) + len(self.updates) + len(self.deletes)


def _tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    )
    return [r[0] for r in rows if r[0] not in SKIP]


def diff(before: Path, after: Path) -> list[TableDiff]:
    """What changed from `before` to `after`, per table, on primary keys (rowid where there is none)."""
    conn = sqlite3.connect(before)
    conn.execute("ATTACH DATABASE ? AS post", (f"file:{after}?mode=ro",))
    out = []
    for table in _tables(conn):
        info = conn.execute(f'PRAGMA main.table_info("{table}")').fetchall()
        columns = [r[1] for r in info]
        keys = [r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5])] or ["rowid"]
        cols = ", ".join(f'"{c}"' for c in columns)
        key_cols = ", ".join(f'"{k}"' if k != "rowid" else "rowid" for k in keys)
        match = " AND ".join(f'm."{k}" IS p."{k}"' if k != "rowid" else "m.rowid = p.rowid" for k in keys)
        extra = ", rowid AS _rowid" if keys == ["rowid"] else ""
        changed = conn.execute(
            f'SELECT p.*, EXISTS (SELECT 1 FROM main."{table}" m WHERE {match}) FROM '
            f'(SELECT {cols}{extra} FROM post."{table}" EXCEPT SELECT {cols}{extra} FROM main."{table}") p'
        ).fetchall()
        gone = conn.execute(
            f'SELECT {key_cols} FROM main."{table}" EXCEPT SELECT {key_cols} FROM post."{table}"'
        ).fetchall()
        if not changed and not gone:
            continue
        d = TableDiff(table, columns, keys)
        key_index = [columns.index(k) if k != "rowid" else len(columns) for k in keys]
        for row in changed:
            *values, existed = row
            if existed:
                d.updates.append(
                    tuple(v for i, v in enumerate(values[: len(columns)]) if columns[i] not in keys)
                    + tuple(values[i] for i in key_index)
                )
            else:
                d.inserts.append(tuple(values[: len(columns)]))
        d.deletes = [tuple(r) for r in gone]
        out.append(d)
    conn.close()
    return out


def _chunks(rows: list[tuple], parts: int) -> list[list[tuple]]:
    """`rows` split over `parts` transactions; fewer rows than parts: all of them in each (per-push rows)."""
    if len(rows) < parts:
        return [rows] * parts
    size, extra = divmod(len(rows), parts)
    out, start = [], 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        out.append(rows[start:end])
        start = end
    return out


def replay(target: Path, diffs: list[TableDiff], transactions: int) -> dict[str, Any]:
    """Write the diffs into `target` (a copy of the `before` snapshot) in `transactions` transactions."""
    conn = sqlite3.connect(target, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
        conn.execute(f"PRAGMA {pragma}")
    plans = []
    for d in diffs:
        cols = ", ".join(f'"{c}"' for c in d.columns)
        marks = ", ".join("?" for _ in d.columns)
        where = " AND ".join(f'"{k}" = ?' if k != "rowid" else "rowid = ?" for k in d.keys)
        sets = ", ".join(f'"{c}" = ?' for c in d.columns if c not in d.keys)
        if d.deletes:
            plans.append((f'DELETE FROM "{d.table}" WHERE {where}', _chunks(d.deletes, transactions)))
        if d.inserts:
            plans.append(
                (f'INSERT INTO "{d.table}" ({cols}) VALUES ({marks})', _chunks(d.inserts, transactions))
            )
        if d.updates:
            plans.append((f'UPDATE "{d.table}" SET {sets} WHERE {where}', _chunks(d.updates, transactions)))
    rows = 0
    start = time.perf_counter()
    for i in range(transactions):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("PRAGMA defer_foreign_keys = ON")  # tables in any order, keys checked at commit
        for sql, chunks in plans:
            conn.executemany(sql, chunks[i])
            rows += len(chunks[i])
        conn.execute("COMMIT")
    wall = time.perf_counter() - start
    conn.close()
    return {"rows": rows, "wall_s": wall, "rows_per_s": rows / wall if wall else 0.0}


def summary(diffs: list[TableDiff]) -> dict[str, int]:
    return {d.table: d.rows for d in diffs}
