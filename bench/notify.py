"""Web Push: a freed place to the push service, single and fanned out to 1,000 subscriptions.

A real `kaari serve` (SQLite, jobs in-process, as `make run`) sends to a real third-party push service
(npm web-push-testing on loopback, which checks VAPID and decrypts every push).

1. **Single notifications**: `capacity.change` (+1 place) in a different unit each time, so no burst
   coalesces them; time from the mutation's commit (the push answered) to the push being readable,
   decrypted, at the push service. p95 of the samples; target ≤ 1 s.
   *Baseline, same run*: the same push made by hand — pywebpush encryption, a VAPID header, one aiohttp
   POST to the same subscription — and read back the same way: what the push service itself costs.
2. **Fan-out**: 250 coordinators with 4 subscribed devices each (1,000 subscriptions), one `stay.cancel`:
   time from the commit to the last push accepted by the push service (from the server's
   `push_deliveries.accepted_at`). Target ≤ 5 s. web-push-testing decrypts and checks every push in one
   Node thread (about 30 a second here): for 1,000 it is the bottleneck, not Kaari, so the fan-out goes
   to the tests' loopback push service (`tests/notifications/push_services.FakePushService`, aiohttp),
   which answers 201 at once and keeps the bodies; a sample of them is decrypted with the subscriptions'
   keys to check what arrived.
   *Baseline, same run*: the 1,000 pushes encrypted and POSTed by hand over one pooled aiohttp session
   (the server's client) with the same concurrency, in a process of its own on uvloop like the server
   (the bench's own process serves the push service) — the floor for sending them, without the job,
   database, inbox and access log. Beside it the same by hand over one pooled httpx client (the server's
   client before): what the choice of client costs.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import sqlite3
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import httpx
import msgspec
import uvloop

from bench.server import ServerProcess, Workspace
from bench.wire import percentile
from notifications.endpoints import origin_of
from notifications.sender import Target, encrypt
from notifications.vapid import load_keys
from server.demo import DEMO_SHORT_TERM_UNIT, demo_id
from server.reference.models import reference_id
from server.settings import Settings
from sync_protocol.client import MemoryStore, Replica, login
from tests.notifications.push_services import FakePushService, WebPushTesting

STC = str(reference_id("unit", DEMO_SHORT_TERM_UNIT))
CONCURRENCY = 50  # the server's default KAARI_PUSH_CONCURRENCY
PAYLOAD = b'{"v":1,"kind":"free_places","title":"' + b"x" * 300 + b'"}'


def _day(offset: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=offset)).isoformat()


async def _until(probe, within: float, what: str) -> Any:
    end = time.monotonic() + within
    while True:
        found = await probe()
        if found:
            return found
        if time.monotonic() > end:
            raise TimeoutError(f"{what} not within {within} s")
        await asyncio.sleep(0.002)


async def _single(http: httpx.AsyncClient, wpt: WebPushTesting, samples: int) -> dict[str, Any]:
    kotas = Replica(MemoryStore(), await login(http, "kotas", "demo"), http=http)
    auth = {"Authorization": f"Bearer {kotas.credentials.access_token}"}
    key = (await http.get("/api/notifications/vapid-public-key", headers=auth)).json()["public_key"]
    sub = await wpt.subscribe(key)
    answer = await http.post(
        "/api/notifications/subscriptions",
        headers=auth,
        json={"subscription": {k: sub[k] for k in ("endpoint", "keys")}},
    )
    answer.raise_for_status()
    board = (await http.get("/api/places/board", headers=auth)).json()
    units = [u["unit_id"] for u in board if u["unit_id"] != STC]
    latencies = []
    for n in range(samples + 1):  # the first one warms up (connections, the VAPID token)
        before = len(await wpt.messages(sub["clientHash"]))
        await kotas.mutate(
            "capacity.change",
            {"change_id": str(uuid.uuid4()), "unit_id": units[n % len(units)], "start_date": _day(50),
             "end_date": _day(50), "places": 1, "reason": "bench"},
        )  # fmt: skip
        await kotas.push()
        committed = time.perf_counter()

        async def arrived(before=before):
            return len(await wpt.messages(sub["clientHash"])) > before

        await _until(arrived, 30, "a single push")
        if n:
            latencies.append(time.perf_counter() - committed)
        await asyncio.sleep(0.2)
    return {"latencies": latencies, "subscription": sub, "kotas": kotas, "auth": auth, "key": key}


async def _raw_single(wpt: WebPushTesting, key_settings: Settings, samples: int) -> list[float]:
    keys = load_keys(key_settings)
    sub = await wpt.subscribe(keys.public_key)
    target = _target(sub)
    latencies = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as client:
        for n in range(samples + 1):
            before = len(await wpt.messages(sub["clientHash"]))
            started = time.perf_counter()
            async with client.post(
                sub["endpoint"], data=encrypt(target, PAYLOAD), headers=_headers(keys, sub["endpoint"])
            ) as answer:
                answer.raise_for_status()

            async def arrived(before=before):
                return len(await wpt.messages(sub["clientHash"])) > before

            await _until(arrived, 30, "a raw push")
            if n:
                latencies.append(time.perf_counter() - started)
    return latencies


def _target(sub: dict[str, Any]) -> Target:
    return Target(sub["endpoint"], sub["keys"]["p256dh"], sub["keys"]["auth"])


def _headers(keys: Any, endpoint: str) -> dict[str, str]:
    return {
        "Authorization": keys.authorization(origin_of(endpoint)),
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
        "TTL": "3600",
        "Urgency": "normal",
    }


async def _post(http: httpx.AsyncClient, url: str, **kw: Any) -> httpx.Response:
    """A setup request, tried again on 503 (the server busy: a loaded machine's SQLite lock timeout), as the
    sync client does (protocol §7)."""
    for _ in range(10):
        answer = await http.post(url, **kw)
        if answer.status_code != 503:
            break
        await asyncio.sleep(float(answer.headers.get("retry-after", "1")))
    return answer


async def _subscribers(http: httpx.AsyncClient, fake: FakePushService, users: int, devices: int) -> list[Any]:
    """`users` coordinators (kotas and new ones made by the admin API), `devices` subscriptions each."""
    admin = await login(http, "admin", "demo")
    admin_auth = {"Authorization": f"Bearer {admin.access_token}"}
    names = ["kotas"]
    for n in range(users - 1):
        name = f"bench-coordinator-{n}"
        made = await _post(
            http,
            "/api/admin/users",
            headers=admin_auth,
            json={"username": name, "display_name": f"Bench {n}", "password": "bench-password",
                  "roles": [{"role": "coordinator"}]},
        )  # fmt: skip
        made.raise_for_status()
        names.append(name)
    subs: list[Any] = []
    gate = asyncio.Semaphore(8)

    async def one(name: str) -> None:
        async with gate:
            credentials = await login(http, name, "demo" if name == "kotas" else "bench-password")
            auth = {"Authorization": f"Bearer {credentials.access_token}"}
            for d in range(devices):
                sub = fake.subscription(f"{name}-{d}")
                answer = await _post(
                    http, "/api/notifications/subscriptions", headers=auth, json={"subscription": sub.json()}
                )
                answer.raise_for_status()
                subs.append(sub)

    await asyncio.gather(*(one(name) for name in names))
    return subs


async def _fan_out(http: httpx.AsyncClient, db_path: str, expected: int) -> dict[str, Any]:
    hoiva = Replica(MemoryStore(), await login(http, "hoiva", "demo"), http=http)
    stay_id = str(uuid.uuid4())
    client_id = str(demo_id("client", f"{DEMO_SHORT_TERM_UNIT}:0"))
    await hoiva.mutate(
        "stay.book",
        {
            "stay_id": stay_id,
            "client_id": client_id,
            "unit_id": STC,
            "start_date": _day(55),
            "end_date": _day(56),
        },
    )
    await hoiva.sync()
    await hoiva.mutate("stay.cancel", {"stay_id": stay_id})
    await hoiva.push()
    committed = datetime.now(UTC)
    started = time.perf_counter()

    def accepted() -> tuple[int, str | None]:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10) as conn:
            return conn.execute(
                "SELECT count(*), max(d.accepted_at) FROM push_deliveries d JOIN notifications n"
                " ON n.id = d.notification_id WHERE n.kind = 'free_places' AND n.key LIKE ? AND d.status = 'accepted'",
                (f"free_places:{STC}:%",),
            ).fetchone()

    async def all_accepted():
        count, last = await asyncio.to_thread(accepted)
        return (count, last) if count >= expected else None

    count, last = await _until(all_accepted, 120, f"{expected} deliveries")
    last_at = datetime.fromisoformat(last)
    if last_at.tzinfo is None:
        last_at = last_at.replace(tzinfo=UTC)
    return {
        "deliveries": count,
        "last_delivery_s": (last_at - committed).total_seconds(),
        "observed_s": time.perf_counter() - started,
    }


async def _raw_fan_out(client: str, targets: list[Target], data_dir: str) -> float:
    """The pushes by hand over one pooled `client` (aiohttp or httpx), as many in flight as the server."""
    keys = load_keys(Settings.from_env({"KAARI_DATA_DIR": data_dir}))
    gate = asyncio.Semaphore(CONCURRENCY)
    if client == "aiohttp":
        connector = aiohttp.TCPConnector(limit=CONCURRENCY)
        session = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=10))

        async def post(url: str, body: bytes, headers: dict[str, str]) -> None:
            async with session.post(url, data=body, headers=headers) as answer:
                answer.raise_for_status()

        close = session.close
    else:
        limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
        http = httpx.AsyncClient(timeout=10, limits=limits)

        async def post(url: str, body: bytes, headers: dict[str, str]) -> None:
            (await http.post(url, content=body, headers=headers)).raise_for_status()

        close = http.aclose

    async def one(target: Target) -> None:
        async with gate:
            await post(target.endpoint, encrypt(target, PAYLOAD), _headers(keys, target.endpoint))

    try:
        started = time.perf_counter()
        await asyncio.gather(*(one(t) for t in targets))
        return time.perf_counter() - started
    finally:
        await close()


def _raw_fan_out_process(client: str, targets: list[Target], data_dir: str) -> float:
    """In a process of its own on uvloop, as the server sends: the bench's process serves the push service."""
    return uvloop.run(_raw_fan_out(client, targets, data_dir))


async def _measure(server: ServerProcess, wpt: WebPushTesting, quick: bool) -> dict[str, Any]:
    samples, users = (2, 3) if quick else (20, 250)
    devices = 4
    key_settings = Settings.from_env({"KAARI_DATA_DIR": str(server.data_dir)})
    fake = FakePushService()
    await fake.start()
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
            single = await _single(http, wpt, samples)
            raw_single = await _raw_single(wpt, key_settings, samples)
            # The fan-out's subscribers only: the one of phase 1 goes.
            auth = single["auth"]
            for sub in (await http.get("/api/notifications/subscriptions", headers=auth)).json():
                await http.delete(f"/api/notifications/subscriptions/{sub['id']}", headers=auth)
            subs = await _subscribers(http, fake, users, devices)
            fan = await _fan_out(http, str(server.db_path), users * devices)
        # What arrived is what a browser decrypts (a sample: decrypting all would only cost time here).
        for sub in random.Random(7).sample(subs, min(50, len(subs))):
            [got] = fake.requests(sub.path)
            assert msgspec.json.decode(got.plaintext)["kind"] == "free_places"
        targets = [Target(s.endpoint, *(s.json()["keys"][k] for k in ("p256dh", "auth"))) for s in subs]
        loop = asyncio.get_running_loop()
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            raw = {
                client: await loop.run_in_executor(
                    pool, _raw_fan_out_process, client, targets, str(server.data_dir)
                )
                for client in ("aiohttp", "httpx")
            }
    finally:
        await fake.stop()
    return {"single": single["latencies"], "raw_single": raw_single, "fan_out": fan, "raw_fan_out": raw["aiohttp"],
            "raw_fan_out_httpx": raw["httpx"], "subscriptions": len(subs), "users": users}  # fmt: skip


def run(ws: Workspace, quick: bool) -> dict[str, Any]:
    data_dir = ws.fresh_data_dir("notify")
    wpt = WebPushTesting()
    wpt.start()
    try:
        env = {"KAARI_PUSH_ALLOW_LOOPBACK": "1", "KAARI_LOG_LEVEL": "WARNING"}
        with ServerProcess(data_dir, env=env) as server:
            m = asyncio.run(_measure(server, wpt, quick))
    finally:
        wpt.stop()
    p95, raw_p95 = percentile(m["single"], 95), percentile(m["raw_single"], 95)
    last, raw, raw_httpx = m["fan_out"]["last_delivery_s"], m["raw_fan_out"], m["raw_fan_out_httpx"]
    p95_met, fan_met = p95 <= 1.0, last <= 5.0
    subs = m["subscriptions"]
    return {
        "name": "notify",
        "params": {"samples": len(m["single"]), "subscriptions": subs, "coordinators": m["users"]},
        "single_s": m["single"],
        "raw_single_s": m["raw_single"],
        "fan_out": m["fan_out"],
        "raw_fan_out_s": raw,
        "raw_fan_out_httpx_s": raw_httpx,
        "targets": {"p95 <= 1 s": p95_met, "fan-out <= 5 s": fan_met},
        "rows": [
            (
                "notify",
                f"freed place → push decrypted at push service, p95 of {len(m['single'])}",
                f"{p95 * 1000:.0f} ms",
                f"hand-made push {raw_p95 * 1000:.0f} ms",
                f"{p95 / raw_p95:.1f}x" if raw_p95 else "",
                "≤1 s",
                p95_met,
            ),
            (
                "notify",
                f"one freed place → {subs:,} subscriptions ({m['users']} coordinators), last delivery",
                f"{last:.2f} s",
                f"hand-made send of {subs:,} (aiohttp): {raw:.2f} s",
                f"{last / raw:.1f}x" if raw else "",
                "≤5 s",
                fan_met,
            ),
            (
                "notify",
                f"the hand-made send of {subs:,} over httpx (the client before)",
                f"{raw_httpx:.2f} s",
                f"the same over aiohttp: {raw:.2f} s",
                f"{raw_httpx / raw:.1f}x" if raw else "",
                "",
                None,
            ),
        ],
    }
