"""Web processes that stop or die: what a device was told stays true, and its retry goes through.

- A stopping `kaari serve` (SIGTERM: a rolling restart) stops accepting, finishes the request it had
  started (the answer arrives and is what was committed), and exits within its bound (uvicorn's
  `timeout_graceful_shutdown`, 10 s) even when a client never finishes its request.
- `kaari serve --workers 2` on SIGHUP (a rolling restart) replaces its workers one by one while tablets
  keep pulling: no sync fails.
- Two `kaari serve` processes on one PostgreSQL database, as behind a load balancer: one is killed with
  SIGKILL while a tablet pushes through it. The tablet's retries move on to the other process (the
  transport below plays the load balancer: a process that refused or dropped a connection is out). At
  the end every mutation the tablet was told was applied is in the database once, and its outbox drains.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from server.clock import today_in_finland
from server.db import create_engine
from server.demo import DEMO_DAY_UNIT
from server.reference.models import reference_id
from server.settings import Settings
from sync_protocol.client import MemoryStore, Replica, RetryPolicy, login
from tests.integration.servers import ServerProcess, demo_server, server_env

DAY_UNIT = str(reference_id("unit", DEMO_DAY_UNIT))
GRACE_S = 10.0  # `kaari serve`'s timeout_graceful_shutdown
RETRY = RetryPolicy(attempts=50, base_delay=0.05, max_delay=0.5)


def _check_in(client_id: str, days_ago: int) -> dict[str, str]:
    day = today_in_finland() - timedelta(days=days_ago)
    at = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=8)
    return {"client_id": client_id, "unit_id": DAY_UNIT, "date": day.isoformat(), "at": at.isoformat()}


def _wait_until(condition, deadline: float, what: str) -> None:  # type: ignore[no-untyped-def]
    until = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > until:
            raise AssertionError(f"not within {deadline} s: {what}")
        time.sleep(0.02)


def _refuses(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _read_response(sock: socket.socket) -> tuple[int, dict]:
    raw = b""
    while chunk := sock.recv(65536):
        raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if b"chunked" in head.lower():
        decoded, rest = b"", body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line, 16)
            if size == 0:
                break
            decoded, rest = decoded + rest[:size], rest[size + 2 :]
        body = decoded
    return status, json.loads(body)


async def test_a_stopping_process_finishes_the_request_it_started_and_exits_in_time(tmp_path) -> None:
    server = demo_server(tmp_path, KAARI_RUN_JOBS="0")
    try:
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            credentials = await login(http, "paiva", "demo")
            tablet = Replica(MemoryStore(), credentials, http=http)
            await tablet.pull()
        client = sorted(r.id for r in tablet.view.records("client"))[0]
        mutation_id = str(uuid.uuid4())
        body = json.dumps(
            {
                "protocol": 1,
                "client_id": str(tablet.client_id),
                "app_build": "test",
                "schema_version": 1,
                "mutations": [
                    {
                        "id": mutation_id,
                        "seq": 1,
                        "name": "attendance.check_in",
                        "version": 1,
                        "args": _check_in(client, 1),
                        "client_time": datetime.now(UTC).isoformat(),
                        "base_version": None,
                    }
                ],
            }
        ).encode()
        head = (
            f"POST /api/sync/v1/push HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {credentials.access_token}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        # A request under way: headers and half the body sent, the rest still on its way.
        started = socket.create_connection(("127.0.0.1", server.port))
        started.sendall(head + body[: len(body) // 2])
        idle = socket.create_connection(("127.0.0.1", server.port))
        idle.sendall(head + body[:10])  # a client that never finishes its request

        assert server.proc is not None
        server.proc.send_signal(signal.SIGTERM)
        stopping_at = time.monotonic()
        _wait_until(lambda: _refuses(server.port), 5, "the stopping process stops accepting")

        started.sendall(body[len(body) // 2 :])
        status, answer = await asyncio.to_thread(_read_response, started)
        assert status == 200, answer
        assert [(r["id"], r["status"]) for r in answer["results"]] == [(mutation_id, "applied")]

        # The stuck request does not keep the process alive past its bound.
        await asyncio.to_thread(server.proc.wait, GRACE_S + 5)
        assert time.monotonic() - stopping_at <= GRACE_S + 5
        started.close()
        idle.close()
    finally:
        server.stop()

    # What the stopping process answered is what it committed.
    server.start()
    try:
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            tablet = Replica(tablet.store, credentials, http=http)
            report = await tablet.pull()
            assert report.mismatched == []
            assert tablet.store.state().last_seq == 1
            assert any(r.data.get("client_id") == client for r in tablet.view.records("attendance"))
    finally:
        server.stop()


class Failover(httpx.AsyncBaseTransport):
    """The load balancer: each request goes to the first process still in; one that fails a connection
    is taken out, and the client's retry of that request goes to the next."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = list(ports)
        self.inner = httpx.AsyncHTTPTransport()
        self.sent_to: list[int] = []
        self.failed = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        port = self.ports[0]
        request.url = request.url.copy_with(port=port)
        self.sent_to.append(port)
        try:
            response = await self.inner.handle_async_request(request)
            await response.aread()
            return response
        except httpx.TransportError:
            self.failed += 1
            if len(self.ports) > 1 and self.ports[0] == port:
                self.ports.pop(0)
            raise

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.parametrize("backend", ["postgres"])
async def test_a_process_killed_mid_push_loses_nothing_acknowledged(demo: Settings, tmp_path) -> None:
    env = server_env(tmp_path / "var", demo.database_url, KAARI_RUN_JOBS="0")
    first = ServerProcess(env, log=tmp_path / "first.log")
    second = ServerProcess(env, log=tmp_path / "second.log")
    first.start()
    second.start()
    acknowledged: set[str] = set()
    pushes_to_first = 0

    async def on_response(response: httpx.Response) -> None:
        nonlocal pushes_to_first
        if response.request.url.path.endswith("/push"):
            if response.request.url.port == first.port:
                pushes_to_first += 1
            if response.status_code == 200:
                await response.aread()
                acknowledged.update(r["id"] for r in response.json()["results"] if r["status"] == "applied")

    balancer = Failover([first.port, second.port])
    try:
        async with httpx.AsyncClient(
            base_url=first.base_url, transport=balancer, event_hooks={"response": [on_response]}, timeout=30
        ) as http:
            credentials = await login(http, "paiva", "demo")
            tablet = Replica(MemoryStore(), credentials, http=http, retry=RETRY)
            await tablet.pull()
            clients = sorted(r.id for r in tablet.view.records("client"))
            work = [_check_in(c, d) for d in range(1, 9) for c in clients]

            async def pusher() -> None:
                for start in range(0, len(work), 20):
                    for args in work[start : start + 20]:
                        await tablet.mutate("attendance.check_in", args)
                    await tablet.push()

            pushing = asyncio.create_task(pusher())
            # Kill the first process while pushes go through it: after its third answered push.
            while pushes_to_first < 3:  # noqa: ASYNC110 - a counter the response hook bumps
                await asyncio.sleep(0.005)
            await asyncio.to_thread(first.kill)
            await asyncio.wait_for(pushing, timeout=120)
            await tablet.push()
            report = await tablet.pull()
        assert tablet.store.outbox() == []
        assert report.mismatched == []
        # The kill cut requests under way or refused the next; the retries went to the other process.
        assert balancer.failed >= 1 and balancer.ports == [second.port]
        assert balancer.sent_to.count(second.port) >= 2
    finally:
        first.kill()
        second.stop()

    engine = create_engine(demo)
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text("SELECT id, status FROM sync_mutations WHERE client_id = :c"),
                    {"c": tablet.client_id},
                )
            ).all()
    finally:
        await engine.dispose()
    outcomes = {str(row[0]): row[1] for row in rows}
    assert len(outcomes) == len(work), "every mutation has one outcome"
    assert acknowledged <= set(outcomes)
    assert set(outcomes.values()) == {"applied"}


def _children(pid: int) -> set[int]:
    """The supervisor's worker processes (uvicorn spawns them; a resource tracker may sit beside them)."""
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    workers = set()
    for child in found:
        try:
            if b"resource_tracker" not in Path(f"/proc/{child}/cmdline").read_bytes():
                workers.add(child)
        except OSError:
            pass  # gone in between
    return workers


@pytest.mark.parametrize("backend", ["postgres"])
async def test_a_rolling_restart_keeps_every_sync_going(demo: Settings, tmp_path) -> None:
    """`kaari serve --workers 2` and SIGHUP (`systemctl reload`, docs/deployment.md): every worker is
    replaced, one at a time, while tablets pull; none of their syncs fails."""
    env = server_env(tmp_path / "var", demo.database_url, KAARI_RUN_JOBS="0")
    server = ServerProcess(env, workers=2, log=tmp_path / "server.log")
    server.start()
    assert server.proc is not None
    try:
        _wait_until(lambda: len(_children(server.proc.pid)) == 2, 30, "two workers")
        before = _children(server.proc.pid)
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            credentials = await login(http, "paiva", "demo")
            tablets = [Replica(MemoryStore(), credentials, http=http, retry=RETRY) for _ in range(4)]
            for tablet in tablets:
                await tablet.pull()
            restarted = asyncio.Event()
            pulls = 0

            async def keep_pulling(tablet: Replica) -> None:
                nonlocal pulls
                while not restarted.is_set():
                    await tablet.pull()  # raises if a sync fails despite the client's retries
                    pulls += 1

            pulling = [asyncio.create_task(keep_pulling(t)) for t in tablets]
            server.proc.send_signal(signal.SIGHUP)
            await asyncio.to_thread(
                _wait_until,
                lambda: len(after := _children(server.proc.pid)) == 2 and not after & before,  # type: ignore[union-attr]
                90,
                "both workers replaced",
            )
            at_restart = pulls

            async def served_after_restart() -> None:
                while pulls < at_restart + len(tablets):  # noqa: ASYNC110 - a counter the pullers bump
                    await asyncio.sleep(0.01)

            await asyncio.wait_for(served_after_restart(), timeout=30)
            restarted.set()
            await asyncio.gather(*pulling)
        assert pulls > at_restart > 0
    finally:
        server.stop()
