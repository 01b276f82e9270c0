"""Fleet: N simulated tablets syncing on an interval with jitter, a share of them pushing the day's mix.

`python -m bench fleet` (sizes below; `--quick` is the smoke run) or, for one configuration at any size:

    python -m bench.fleet --target sqlite --tablets 10000 --interval 30 --duration 600
    python -m bench.fleet --target postgres --web 4 --tablets 2000 --interval 30 --duration 60

Every tablet is a reference client (`sync_protocol.client.Replica`) with its own replica, cookie and
outbox (a `MemoryStore` forked from one first sync per role and process, so ten thousand tablets do not
each download their unit first). Its sync loop: wait a random part of the interval, then every interval
± `jitter` pull; a pushing tablet (every `1 / push_share`-th) first queues the day's mix for its role
and pushes it:

- day-activity staff (`paiva`): a check-in, check-out or absence of one of the unit's clients
  (`sync_protocol.simulate.plan_attendance`) and an `audit.viewed` of the client's card;
- short-term care staff (`hoiva`): a `stay.book` of one night within 60 days (Lepola has 4 places, so
  many are refused `capacity_exhausted`: counted as rejected, not as errors) and an `audit.viewed`;
- counsellors (`ohjaaja`): a `contact.record` and an `audit.viewed`.

The load generator runs in one process per core (asyncio, one pooled HTTP/1.1 client per process, many
replicas each). Each process reports its own CPU time, so the table shows what the generator took from
the machine: on 2 cores the generator and the server share the CPU, and the bound beside every figure
(the same request rate, same generator, against a trivial Litestar route served the same way) shows how
much of a round trip is the machine rather than Kaari.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.fleet_users import FLEET_PASSWORD
from bench.server import REPO, ServerProcess, Workspace, bench_env, free_port
from bench.wire import TimingTransport, percentile
from sync_protocol.client import MemoryStore, Replica, SyncError, login
from sync_protocol.simulate import plan_attendance

# The demo's counsellors, one or two per area (password `demo`); unit staff come from bench.fleet_users.
COUNSELLORS = ("ohjaaja", "ohjaaja2", "ohjaaja-koillismaa", "ohjaaja-lakeus", "ohjaaja-oulunkaari")
COUNSELLORS += ("ohjaaja-rannikko", "ohjaaja-etela")
# Of every 20 tablets: 16 in day-activity and 24-hour housing units, 2 in short-term care, 2 counsellors'.
SLOTS = ("unit",) * 16 + ("short_term_care",) * 2 + ("counsellor",) * 2
POSTGRES_ADMIN_URL = os.environ.get("KAARI_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("KAARI_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


@dataclass
class FleetPlan:
    tablets: int
    interval: float = 30.0
    jitter: float = 0.2
    push_share: float = 0.05
    duration: float = 60.0
    # Not measured: the first interval, in which every forked replica's first pull registers it (a write
    # once in a tablet's life, which a fleet in service does not repeat every 30 s).
    warmup: float | None = None
    processes: int = field(default_factory=lambda: os.cpu_count() or 1)
    # (username, kind, password) of the users the tablets sign in as; `kind` is the unit's kind or
    # "counsellor". Filled in by `measure` from the installation under test.
    users: list[tuple[str, str, str]] = field(default_factory=list)
    # HTTP connections per pool, reused, and pools per generator process: httpcore scans a whole pool at
    # each connection event, so many small pools rather than one large one.
    pool: int = 16
    pools: int = 8
    seed: int = 1

    def __post_init__(self) -> None:
        if self.warmup is None:
            self.warmup = self.interval * 1.1

    @property
    def target_rps(self) -> float:
        return self.tablets / self.interval * (1 + self.push_share)


# --- one generator process ------------------------------------------------------------------------


class CountingTransport(TimingTransport):
    """Times each request (bench.wire) and counts the ones that never got an answer.

    At most `pool` requests are handed to httpx at once: httpcore's pool scans every queued request
    for every connection event, so thousands of tablets queued on 64 connections made the generator
    quadratic (most of its CPU, in a profile) and it measured itself. The wait here is outside the timing.
    """

    failures: int = 0
    gate: asyncio.Semaphore | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert self.gate is not None
        async with self.gate:
            try:
                return await super().handle_async_request(request)
            except httpx.HTTPError:
                self.failures += 1
                raise


def _mix(kind: str, tablet: Replica, rng: random.Random) -> list[tuple[str, dict[str, Any]]]:
    """One pushing sync's mutations for a tablet of this kind (the module docstring)."""
    now = datetime.now(UTC)
    clients = list(tablet.view.records("client"))
    scopes = list(tablet.store.scope_checksums())
    work: list[tuple[str, dict[str, Any]]] = []
    if kind == "day_activity":
        work = plan_attendance(tablet, rng, 1)
    elif kind == "short_term_care" and clients:
        unit = next(s for s in scopes if s.startswith("unit:"))
        start = date.today() + timedelta(days=rng.randint(1, 60))
        stay = {"stay_id": str(uuid.uuid4()), "client_id": rng.choice(clients).id}
        stay |= {"unit_id": unit.removeprefix("unit:"), "start_date": start.isoformat()}
        work = [("stay.book", stay | {"end_date": (start + timedelta(days=1)).isoformat()})]
    elif kind == "counsellor":
        area = next(s for s in scopes if s.startswith("area:")).removeprefix("area:")
        contact = {"contact_id": str(uuid.uuid4()), "occurred_at": now.isoformat(), "area_id": area}
        contact |= {"channel": "phone", "caller_type": "relative", "contact_type": "to_service"}
        contact |= {"topics": ["home_care"], "resolution": "advice_given", "service_point_id": None}
        work = [("contact.record", contact | {"client_id": None, "note": None})]
    if clients:
        seen = {"client_id": rng.choice(clients).id, "at": now.isoformat(), "view": "client"}
        work.append(("audit.viewed", {"entries": [seen]}))
    return work


@dataclass
class Tally:
    syncs: int = 0
    late: int = 0
    applied: int = 0
    rejected: int = 0
    conflicts: int = 0
    sync_errors: int = 0
    unfinished: int = 0
    errors: list[str] = field(default_factory=list)


async def _on_schedule(
    plan: FleetPlan, rng: random.Random, end: float, tally: Tally, sync: Callable[[], Awaitable[None]]
) -> None:
    """One tablet's loop: a random start within the interval, then `sync()` every interval ± jitter."""
    loop = asyncio.get_running_loop()
    due = loop.time() + rng.uniform(0, plan.interval)
    while True:
        await asyncio.sleep(max(0.0, min(due, end) - loop.time()))
        if loop.time() >= end:
            return
        if loop.time() - due > plan.interval / 2:
            tally.late += 1  # the generator (or the server) could not keep the schedule
        try:
            await sync()
            tally.syncs += 1
        except asyncio.CancelledError:
            tally.unfinished += 1
            raise
        except (SyncError, httpx.HTTPError) as exc:
            tally.sync_errors += 1
            if len(tally.errors) < 5:
                tally.errors.append(f"{type(exc).__name__}: {exc}")
        due += plan.interval * (1 + rng.uniform(-plan.jitter, plan.jitter))


def _tablet_sync(kind: str, client: Replica, pushes: bool, rng: random.Random, tally: Tally) -> Any:
    async def sync() -> None:
        if pushes:
            for name, args in _mix(kind, client, rng):
                await client.mutate(name, args)
            report = await client.push()
            tally.applied += report.applied
            tally.rejected += report.rejected
            tally.conflicts += report.conflicts
        await client.pull()

    return sync


COUNTS = ("syncs", "late", "unfinished", "applied", "rejected", "conflicts", "sync_errors")
END_GRACE_S = 10.0


async def _generate(index: int, base_url: str, plan: FleetPlan, ready: Any, trivial: bool) -> dict[str, Any]:
    rng = random.Random(plan.seed * 1000 + index)
    mine = list(range(index, plan.tablets, plan.processes))
    transports = [
        CountingTransport(inner=httpx.AsyncHTTPTransport(limits=_limits(plan))) for _ in range(plan.pools)
    ]
    for transport in transports:
        transport.gate = asyncio.Semaphore(plan.pool)
    tally = Tally()
    async with contextlib.AsyncExitStack() as stack:
        https = [
            await stack.enter_async_context(httpx.AsyncClient(base_url=base_url, transport=t, timeout=60.0))
            for t in transports
        ]
        if trivial:
            loops = _trivial_loops(https, mine, plan, rng, tally)
        else:
            loops = await _tablet_loops(https, mine, plan, rng, tally)
        # Every process starts the schedule at the same moment, once everybody's setup is done.
        await asyncio.get_running_loop().run_in_executor(None, ready.wait)
        end = asyncio.get_running_loop().time() + plan.warmup + plan.duration
        running = asyncio.create_task(loops(end))
        await asyncio.sleep(plan.warmup)
        for transport in transports:
            transport.samples.clear()
            transport.failures = 0
        before = asdict(tally)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        # A sync still under way this long after the end is stuck in retries: cancelled, and counted.
        if not (await asyncio.wait({running}, timeout=plan.duration + END_GRACE_S))[0]:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    counts = {k: getattr(tally, k) - before[k] for k in COUNTS}
    return {
        "samples": [(s.path, s.seconds, s.server_ms, s.status) for t in transports for s in t.samples],
        "failures": sum(t.failures for t in transports),
        "tally": {**counts, "errors": tally.errors},
        "cpu_s": cpu,
        "wall_s": wall,
    }


async def _tablet_loops(
    https: list[httpx.AsyncClient], mine: list[int], plan: FleetPlan, rng: random.Random, tally: Tally
) -> Any:
    """Sign in once per user, do one first sync per user, fork a replica per tablet of this process."""
    seeds = {}
    http = https[0]
    for username, kind, password in plan.users:
        credentials = await login(http, username, password)
        first = Replica(MemoryStore(), credentials, http=http)
        await first.pull()
        seeds[username] = (kind, credentials, first.store)
    by_slot = {
        "unit": [u for u, kind, _ in plan.users if kind in ("day_activity", "housing_24h")],
        "short_term_care": [u for u, kind, _ in plan.users if kind == "short_term_care"],
        "counsellor": [u for u, kind, _ in plan.users if kind == "counsellor"],
    }
    pushers = pushing_tablets(plan)
    tablets = []
    for n in mine:
        users = by_slot[SLOTS[n % len(SLOTS)]]
        kind, credentials, store = seeds[users[(n // len(SLOTS)) % len(users)]]
        client = Replica(store.fork(), credentials, http=https[n % len(https)])
        tablets.append((kind, client, n in pushers, random.Random(rng.random())))

    async def run(end: float) -> None:
        await asyncio.gather(
            *(_on_schedule(plan, r, end, tally, _tablet_sync(k, c, p, r, tally)) for k, c, p, r in tablets)
        )

    return run


def pushing_tablets(plan: FleetPlan) -> set[int]:
    """The same `push_share` of the tablets in every generator process, spread over every kind."""
    return set(random.Random(plan.seed).sample(range(plan.tablets), round(plan.tablets * plan.push_share)))


def _limits(plan: FleetPlan) -> httpx.Limits:
    return httpx.Limits(max_connections=plan.pool, max_keepalive_connections=plan.pool)


def _trivial_loops(
    https: list[httpx.AsyncClient], mine: list[int], plan: FleetPlan, rng: random.Random, tally: Tally
) -> Any:
    """The bound: the same schedule, each sync one POST to the trivial route (pushing tablets: two),
    with a body the size of an incremental pull request."""
    body = b'{"protocol":1,"client_id":"%s","cookie":"%s"}' % (str(uuid.uuid4()).encode(), b"x" * 120)
    pushers = pushing_tablets(plan)

    headers = {"content-type": "application/json"}

    def ping(http: httpx.AsyncClient, requests: int) -> Callable[[], Awaitable[None]]:
        async def sync() -> None:
            for _ in range(requests):
                (await http.post("/ping", content=body, headers=headers)).raise_for_status()

        return sync

    async def run(end: float) -> None:
        await asyncio.gather(
            *(
                _on_schedule(
                    plan,
                    random.Random(rng.random()),
                    end,
                    tally,
                    ping(https[n % len(https)], 2 if n in pushers else 1),
                )
                for n in mine
            )
        )

    return run


def _process_main(index: int, base_url: str, plan: FleetPlan, ready: Any, trivial: bool, out: Any) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    try:
        out.put((index, asyncio.run(_generate(index, base_url, plan, ready, trivial))))
    except BaseException as exc:  # report it to the parent rather than dying silently
        ready.abort()
        out.put((index, {"crash": f"{type(exc).__name__}: {exc}"}))


# --- the run: generators, servers, CPU ------------------------------------------------------------


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes and their descendants (/proc; 0 for those gone)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in _with_descendants(pids):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _with_descendants(pids: list[int]) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), list(pids)
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo += children.get(pid, [])
    return found


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def drive(base_url: str, plan: FleetPlan, server_pids: list[int], *, trivial: bool = False) -> dict[str, Any]:
    """Run the generator processes against `base_url`; the figures of the measured window."""
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    # The generators and this process start the schedule together, after the setup (sign-ins, first
    # syncs, forks); a generator that fails breaks the barrier rather than leaving the others waiting.
    ready = ctx.Barrier(plan.processes + 1, timeout=600)
    procs = [
        ctx.Process(target=_process_main, args=(i, base_url, plan, ready, trivial, out), daemon=True)
        for i in range(plan.processes)
    ]
    for p in procs:
        p.start()
    try:
        ready.wait()
    except threading.BrokenBarrierError:
        raise RuntimeError(f"load generator failed: {out.get(timeout=10)}") from None
    print(
        f"[fleet] {plan.tablets:,} tablets ready against {'the trivial route' if trivial else 'Kaari'}; "
        f"{plan.warmup:g} s warm-up, {plan.duration:g} s measured",
        file=sys.stderr,
        flush=True,
    )
    time.sleep(plan.warmup)
    server_cpu0, busy0 = cpu_seconds(server_pids), machine_busy()
    results = dict(out.get(timeout=plan.duration + 600) for _ in procs)
    server_cpu, busy1 = cpu_seconds(server_pids) - server_cpu0, machine_busy()
    for p in procs:
        p.join(timeout=30)
    crashed = [r["crash"] for r in results.values() if "crash" in r]
    if crashed:
        raise RuntimeError(f"load generator failed: {crashed}")
    return summarise(
        plan, list(results.values()), server_cpu, (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1])
    )


def summarise(
    plan: FleetPlan, parts: list[dict[str, Any]], server_cpu: float, machine: float
) -> dict[str, Any]:
    samples = [s for part in parts for s in part["samples"]]
    wall = max(part["wall_s"] for part in parts)
    rtt = [s[1] * 1000 for s in samples]
    server = [s[2] for s in samples if s[2] is not None]
    tally = {k: sum(part["tally"][k] for part in parts) for k in COUNTS}
    bad = sum(1 for s in samples if s[3] >= 500 or s[3] == 429) + sum(part["failures"] for part in parts)
    return {
        "requests": len(samples),
        "rps": len(samples) / wall,
        "target_rps": plan.target_rps,
        "pushes": sum(1 for s in samples if s[0].endswith("/push")),
        "rtt_ms": {q: percentile(rtt, q) for q in (50, 95, 99)},
        "server_ms": {q: percentile(server, q) for q in (50, 95, 99)},
        "by_path": {
            path: _path_figures([s for s in samples if s[0] == path]) for path in {s[0] for s in samples}
        },
        "errors": bad + tally["sync_errors"] + tally["unfinished"],
        "http_errors": bad,
        "tally": tally,
        "error_examples": [e for part in parts for e in part["tally"]["errors"]][:5],
        "generator_cpu": sum(part["cpu_s"] for part in parts) / wall,
        "server_cpu": server_cpu / wall,
        "machine_busy": machine,
        "wall_s": wall,
    }


def _path_figures(samples: list[tuple[str, float, float | None, int]]) -> dict[str, Any]:
    server = [s[2] for s in samples if s[2] is not None]
    return {
        "requests": len(samples),
        "server_ms": {q: percentile(server, q) for q in (50, 99)},
        "rtt_ms": {q: percentile([s[1] * 1000 for s in samples], q) for q in (50, 99)},
    }


class Servers:
    """Kaari for one configuration: SQLite single node, or PostgreSQL + Redis + `kaari worker` with
    `--workers web` web processes. Stopped (and the database dropped) on exit."""

    def __init__(self, ws: Workspace, target: str, web: int) -> None:
        self.ws, self.target, self.web = ws, target, web
        self.procs: list[subprocess.Popen[bytes]] = []
        self.database: str | None = None
        self.server: ServerProcess | None = None
        self.users: list[tuple[str, str, str]] = []

    def __enter__(self) -> Servers:
        data = self.ws.fresh_data_dir(f"fleet-{self.target}-{self.web}-{time.monotonic_ns()}")
        env: dict[str, str] = {"KAARI_LOG_LEVEL": "WARNING"}
        if self.target == "postgres":
            self.database = f"kaari_bench_{os.getpid()}_{self.web}"
            url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + self.database
            _psql_admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            _psql_admin(f'CREATE DATABASE "{self.database}"')
            env.update(DATABASE_URL=url, REDIS_URL=REDIS_URL, KAARI_JOBS_QUEUE=f"kaari:bench:{os.getpid()}")
            subprocess.run(
                [sys.executable, "-m", "bench.prepare"],
                cwd=REPO,
                env={**bench_env(data), **env},
                check=True,
                stdout=subprocess.DEVNULL,
            )
            worker = subprocess.Popen(
                [sys.executable, "-m", "server.cli", "worker"],
                cwd=REPO,
                env={**bench_env(data), **env},
                stdout=subprocess.DEVNULL,
                stderr=(data / "worker.log").open("ab"),
            )
            self.procs.append(worker)
        made = subprocess.run(
            [sys.executable, "-m", "bench.fleet_users"],
            cwd=REPO,
            env={**bench_env(data), **env},
            check=True,
            capture_output=True,
            text=True,
        )
        self.users = [
            (u, kind, FLEET_PASSWORD) for u, kind in (line.split() for line in made.stdout.splitlines())
        ]
        self.users += [(u, "counsellor", "demo") for u in COUNSELLORS]
        self.server = ServerProcess(data, env=env, workers=self.web).start()
        return self

    @property
    def pids(self) -> list[int]:
        assert self.server is not None and self.server.proc is not None
        return [self.server.proc.pid] + [p.pid for p in self.procs]

    def __exit__(self, *exc: object) -> None:
        if self.server is not None:
            self.server.stop()
        for proc in self.procs:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        if self.database:
            _psql_admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


def _psql_admin(sql: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=10)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


class TrivialServer:
    """The bound: `bench.trivial_app` under uvicorn, served as `kaari serve` serves (uvloop, httptools)."""

    def __init__(self, web: int) -> None:
        self.web = web
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> TrivialServer:
        self.proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", "bench.trivial_app:create_app", "--factory"),
                *("--port", str(self.port), "--workers", str(self.web)),
                *("--no-access-log", "--log-level", "warning"),
            ],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
        )
        end = time.monotonic() + 60
        while time.monotonic() < end:
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("the trivial server did not start")

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None
        self.proc.terminate()
        self.proc.wait(timeout=30)


def measure(ws: Workspace, target: str, web: int, plan: FleetPlan) -> dict[str, Any]:
    """Kaari at this configuration, then the bound at the same rate: one result with both."""
    with Servers(ws, target, web) as servers:
        plan = replace(plan, users=servers.users)
        kaari = drive(servers.server.base_url, plan, servers.pids)  # type: ignore[union-attr]
    with TrivialServer(web) as trivial:
        # Nothing to register on the trivial route: a short warm-up is enough.
        bound_plan = replace(plan, warmup=min(plan.warmup or 0, 5.0))
        bound = drive(trivial.base_url, bound_plan, [trivial.proc.pid], trivial=True)  # type: ignore[union-attr]
    return {"target": target, "web": web, "plan": asdict(plan), "kaari": kaari, "bound": bound}


def rows(result: dict[str, Any], check_target: bool) -> list[tuple[Any, ...]]:
    k, b, plan = result["kaari"], result["bound"], result["plan"]
    where = "SQLite" if result["target"] == "sqlite" else f"PostgreSQL, {result['web']} web + worker"
    label = f"{plan['tablets']:,} tablets / {plan['interval']:g} s, {where}"
    ratio = k["server_ms"][99] / b["rtt_ms"][99] if b["rtt_ms"][99] else float("nan")
    met = (k["server_ms"][99] <= 300 and k["errors"] == 0) if check_target else None
    cpu = f"generator {k['generator_cpu']:.2f} + server {k['server_cpu']:.2f} cores, machine {k['machine_busy']:.0%} busy"
    return [
        (
            "fleet",
            f"{label}: server p50/p95/p99 ms",
            "/".join(f"{k['server_ms'][q]:.1f}" for q in (50, 95, 99)),
            f"trivial route round trip p99 {b['rtt_ms'][99]:.1f} ms",
            f"{ratio:.1f}x",
            "p99 ≤ 300 ms, 0 errors",
            met,
        ),
        (
            "fleet",
            f"{label}: round trip p50/p95/p99 ms",
            "/".join(f"{k['rtt_ms'][q]:.1f}" for q in (50, 95, 99)),
            "trivial " + "/".join(f"{b['rtt_ms'][q]:.1f}" for q in (50, 95, 99)),
            f"{k['rtt_ms'][99] / b['rtt_ms'][99]:.1f}x" if b["rtt_ms"][99] else "",
            "",
            None,
        ),
        (
            "fleet",
            f"{label}: req/s (target {k['target_rps']:.0f}), errors, late",
            f"{k['rps']:.0f} req/s, {k['errors']} errors ({k['http_errors']} HTTP, "
            f"{k['tally']['sync_errors']} failed, {k['tally']['unfinished']} unfinished syncs), "
            f"{k['tally']['late']} late",
            f"trivial {b['rps']:.0f} req/s, {b['errors']} errors",
            "",
            "",
            None,
        ),
        (
            "fleet",
            f"{label}: pushes, outcomes",
            f"{k['pushes']} pushes: {k['tally']['applied']} applied, {k['tally']['rejected']} rejected",
            cpu,
            "",
            "",
            None,
        ),
    ]


SIZES = {
    # (tablets, interval s, duration s): the default run keeps to about a minute per configuration.
    "quick": (40, 2.0, 4.0),
    "default": (2000, 30.0, 45.0),
}


def run(ws: Workspace, quick: bool) -> dict[str, Any]:
    """`python -m bench fleet`: SQLite single node at the default size (the full target: bench.fleet)."""
    tablets, interval, duration = SIZES["quick" if quick else "default"]
    plan = FleetPlan(tablets=tablets, interval=interval, duration=duration)
    result = measure(ws, "sqlite", 1, plan)
    return {"rows": rows(result, check_target=False), "results": [result]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fleet", description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--web", type=int, nargs="+", default=[1], help="web processes (PostgreSQL), e.g. 1 2 4"
    )
    parser.add_argument("--tablets", type=int, default=10_000)
    parser.add_argument("--interval", type=float, default=30.0)
    parser.add_argument("--push-share", type=float, default=0.05)
    parser.add_argument("--duration", type=float, default=600.0, help="measured seconds (after --warmup)")
    parser.add_argument(
        "--warmup", type=float, default=None, help="unmeasured seconds (default 1.1 intervals)"
    )
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1, help="generator processes")
    args = parser.parse_args(argv)
    if args.target == "sqlite" and args.web != [1]:
        parser.error("SQLite runs one web process")
    from bench.__main__ import table

    ws = Workspace()
    out: list[tuple[Any, ...]] = []
    try:
        for web in args.web:
            plan = FleetPlan(
                tablets=args.tablets,
                interval=args.interval,
                push_share=args.push_share,
                duration=args.duration,
                warmup=args.warmup,
                processes=args.processes,
            )
            result = measure(ws, args.target, web, plan)
            out += rows(result, check_target=args.tablets >= 10_000 and args.duration >= 600)
            for path, figures in sorted(result["kaari"]["by_path"].items()):
                print(f"[fleet] {path}: {figures}", file=sys.stderr)
            for example in result["kaari"]["error_examples"]:
                print(f"[fleet] error: {example}", file=sys.stderr)
    finally:
        ws.cleanup()
    print(table(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
