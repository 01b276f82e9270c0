"""Simulated tablets: N reference clients doing a unit's day against a running server (`kaari simulate`).

Each tablet signs in (a device of its own), does a first sync, then each round records a few attendance
events for clients of its unit found in its replica (check in, check out, or absent, today) and syncs.
Only the reference client and HTTP: no server imports, so it runs against any Kaari server.
"""

from __future__ import annotations

import asyncio
import random as _random
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from typing import Any

import httpx

from sync_protocol.client import MemoryStore, Replica, SyncError, login

__all__ = ["TabletStats", "format_table", "simulate"]

ABSENT_REASONS_FALLBACK = ("ill",)


@dataclass
class TabletStats:
    name: str
    mutations: int = 0
    applied: int = 0
    rejected: int = 0
    conflicts: int = 0
    pulls: int = 0
    ops: int = 0
    mismatches: int = 0
    errors: int = 0
    error_messages: list[str] = field(default_factory=list, repr=False)

    def add(self, other: TabletStats) -> None:
        for f in COLUMNS:
            setattr(self, f, getattr(self, f) + getattr(other, f))


COLUMNS = [f.name for f in fields(TabletStats) if f.name not in {"name", "error_messages"}]


def _unit_of(record: Any) -> str | None:
    for scope in record.scopes:
        if scope.startswith("unit:"):
            return scope.removeprefix("unit:")
    return None


def _absent_reasons(tablet: Replica) -> list[str]:
    for code_list in tablet.view.records("code_list"):
        if (
            code_list.id == "attendance.absent_reason"
            or code_list.data.get("id") == "attendance.absent_reason"
        ):
            codes = [c.get("code") for c in code_list.data.get("codes", []) if c.get("active", True)]
            return [c for c in codes if c] or list(ABSENT_REASONS_FALLBACK)
    return list(ABSENT_REASONS_FALLBACK)


def plan_attendance(tablet: Replica, rng: _random.Random, count: int) -> list[tuple[str, dict[str, Any]]]:
    """A few realistic attendance events for today, for clients of the tablet's unit."""
    clients = [(c.id, u) for c in tablet.view.records("client") if (u := _unit_of(c))]
    if not clients:
        return []
    today = date.today().isoformat()
    attendance = {
        (a.data.get("client_id"), a.data.get("unit_id"), a.data.get("date")): a.data
        for a in tablet.view.records("attendance")
    }
    reasons = _absent_reasons(tablet)
    plan = []
    for client_id, unit_id in rng.sample(clients, min(count, len(clients))):
        args: dict[str, Any] = {"client_id": client_id, "unit_id": unit_id, "date": today}
        state = attendance.get((client_id, unit_id, today)) or {}
        if state.get("checked_in_at") and not state.get("checked_out_at"):
            plan.append(("attendance.check_out", {**args, "at": datetime.now(UTC).isoformat()}))
        elif rng.random() < 0.15:
            plan.append(("attendance.mark_absent", {**args, "reason": rng.choice(reasons)}))
        else:
            plan.append(("attendance.check_in", {**args, "at": datetime.now(UTC).isoformat()}))
    return plan


async def _sync(tablet: Replica, stats: TabletStats) -> None:
    try:
        report = await tablet.sync()
    except (SyncError, httpx.HTTPError) as exc:
        stats.errors += 1
        stats.error_messages.append(f"{type(exc).__name__}: {exc}")
        return
    stats.applied += report.push.applied
    stats.rejected += report.push.rejected
    stats.conflicts += report.push.conflicts
    stats.pulls += report.pull.pages
    stats.ops += report.pull.ops
    stats.mismatches += len(report.pull.mismatched)


async def run_tablet(
    name: str,
    url: str,
    user: str,
    password: str,
    rounds: int,
    interval: float,
    per_round: int,
    rng: _random.Random,
) -> TabletStats:
    stats = TabletStats(name)
    async with httpx.AsyncClient(base_url=url, timeout=30.0) as http:
        try:
            credentials = await login(http, user, password)
        except (SyncError, httpx.HTTPError) as exc:
            stats.errors += 1
            stats.error_messages.append(f"sign-in: {type(exc).__name__}: {exc}")
            return stats
        tablet = Replica(MemoryStore(), credentials, http=http, app_build="kaari-simulate")
        await _sync(tablet, stats)
        for round_ in range(rounds):
            if round_:
                await asyncio.sleep(interval * (0.5 + rng.random()))
            for mutation_name, args in plan_attendance(tablet, rng, per_round):
                await tablet.mutate(mutation_name, args)
                stats.mutations += 1
            await _sync(tablet, stats)
    return stats


async def simulate(
    url: str,
    tablets: int = 5,
    rounds: int = 10,
    interval: float = 1.0,
    user: str = "paiva",
    password: str = "demo",  # noqa: S107 - the documented demo password
    per_round: int = 3,
    seed: int | None = None,
) -> list[TabletStats]:
    """Run `tablets` simulated tablets concurrently; one `TabletStats` per tablet, in order."""
    rng = _random.Random(seed)
    jobs = [
        run_tablet(
            f"tablet-{i + 1}", url, user, password, rounds, interval, per_round, _random.Random(rng.random())
        )
        for i in range(tablets)
    ]
    return list(await asyncio.gather(*jobs))


def format_table(results: list[TabletStats]) -> str:
    """Per tablet and in total, as a plain-text table."""
    total = TabletStats("TOTAL")
    for stats in results:
        total.add(stats)
    rows = [["tablet", *COLUMNS]]
    rows += [[s.name, *(str(getattr(s, c)) for c in COLUMNS)] for s in [*results, total]]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.insert(len(lines) - 1, "  ".join("-" * w for w in widths))
    errors = [f"{s.name}: {m}" for s in results for m in s.error_messages]
    if errors:
        lines += ["", "errors:", *(f"  {e}" for e in errors[:20])]
    return "\n".join(lines)
