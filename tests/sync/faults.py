"""A faulty network and restartable server/clients for the sync fault-injection tests.

:class:`FaultyNetwork` is an ``httpx.AsyncBaseTransport`` around the in-process ASGI app (lifespan started).
Driven by a seeded ``random.Random`` it can, per request:

- ``drop_request``: never reaches the server (``httpx.ConnectError``);
- ``drop_response``: the server handles and commits it, the client never hears (``httpx.ReadError``);
- ``duplicate``: delivered twice, the second answer is returned;
- ``reorder``: held back and delivered after the next request (from any replica), or after a short wait;
- ``truncate``: a 2xx answer cut mid-body, so decoding fails;
- ``crash_after_commit``: the server commits and then the *client process* dies before it hears
  (raises :class:`ClientCrash`, which is not a transport error: the reference client does not retry it).

``restart_server()`` swaps in a fresh app over the same database; :class:`Tablet` rebuilds its Replica
over the same store (a SQLite store file is closed and reopened).
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from litestar import Litestar

from server.app import create_app
from server.settings import Settings
from sync_protocol.client import Credentials, MemoryStore, Replica, RetryPolicy, SQLiteStore, Store

FAULT_KINDS = ("drop_request", "drop_response", "duplicate", "reorder", "truncate", "crash_after_commit")


class ClientCrash(Exception):
    """The simulated device process died after sending a request (the server may have committed)."""


async def _no_sleep(_: float) -> None:
    await asyncio.sleep(0)


class FaultyNetwork(httpx.AsyncBaseTransport):
    """A transport to the in-process app that injects faults. Call :meth:`start` / :meth:`stop` for the app's lifespan."""

    def __init__(self, settings: Settings, rng: random.Random, app: Litestar | None = None) -> None:
        self.settings = settings
        self.rng = rng
        self.app = app or create_app(settings, configure_logs=False)
        self.inner = httpx.ASGITransport(app=self.app)
        self.rates: dict[str, float] = {}
        self.forced: list[str] = []
        self.counts: Counter[str] = Counter()
        self.requests = 0
        self._server: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._held: list[asyncio.Event] = []
        self.reorder_wait = 0.1

    # --- lifecycle -------------------------------------------------------------------------------------

    async def start(self) -> FaultyNetwork:
        """Run the app's lifespan (startup now, shutdown in :meth:`stop`).

        The lifespan runs in a task of its own (its task groups must be entered and left by one task), so
        a test driving the loop one ``run_until_complete`` at a time can start and stop it from any step.
        """
        started, self._stopping = asyncio.Event(), asyncio.Event()
        stopping = self._stopping

        async def serve() -> None:
            async with self.app.lifespan():
                started.set()
                await stopping.wait()

        self._server = asyncio.create_task(serve())
        waiter = asyncio.ensure_future(started.wait())
        done, _ = await asyncio.wait({self._server, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if self._server in done:
            waiter.cancel()
            server, self._server = self._server, None
            server.result()  # raises what broke the startup
            raise RuntimeError("the app's lifespan ended during startup")
        return self

    async def stop(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            self._stopping.set()
            await server

    async def aclose(self) -> None:
        """Closing an httpx client over this transport must not stop the server: see :meth:`stop`."""

    async def restart_server(self) -> None:
        """Stop the app (its lifespan ends: engine disposed) and start a fresh one on the same database."""
        await self.stop()
        self.app = create_app(self.settings, configure_logs=False)
        self.inner = httpx.ASGITransport(app=self.app)
        await self.start()
        self.counts["server_restart"] += 1

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self, base_url="http://kaari.test", timeout=30.0)

    # --- fault switches --------------------------------------------------------------------------------

    def set_faults(self, **rates: float) -> None:
        self.rates = {k: v for k, v in rates.items() if v}
        unknown = set(self.rates) - set(FAULT_KINDS)
        assert not unknown, unknown

    def heal(self) -> None:
        self.rates = {}
        self.forced = []

    def force(self, kind: str) -> None:
        """Inject ``kind`` on the next request whatever the rates."""
        assert kind in FAULT_KINDS
        self.forced.append(kind)

    def _choose(self) -> str | None:
        if self.forced:
            return self.forced.pop(0)
        for kind, rate in self.rates.items():
            if self.rng.random() < rate:
                return kind
        return None

    # --- the transport ---------------------------------------------------------------------------------

    async def _deliver(self, request: httpx.Request) -> httpx.Response:
        copy = httpx.Request(request.method, request.url, headers=request.headers, content=request.content)
        response = await self.inner.handle_async_request(copy)
        # The raw bytes, still compressed: the client decodes them (and may get them cut short).
        body = b"".join([chunk async for chunk in response.aiter_raw()])
        headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
        return httpx.Response(response.status_code, headers=headers, content=body)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests += 1
        # Whoever was held back waits for this request to go first.
        held, self._held = self._held, []
        fault = self._choose()
        if fault is not None:
            self.counts[fault] += 1
        try:
            if fault == "drop_request":
                raise httpx.ConnectError("injected: request dropped", request=request)
            if fault == "reorder":
                gate = asyncio.Event()
                self._held.append(gate)
                try:
                    await asyncio.wait_for(gate.wait(), self.reorder_wait)
                except TimeoutError:
                    self.counts["reorder_timeout"] += 1
                return await self._deliver(request)
            if fault == "drop_response":
                await self._deliver(request)
                raise httpx.ReadError("injected: response lost", request=request)
            if fault == "crash_after_commit":
                await self._deliver(request)
                raise ClientCrash("injected: device died before the answer")
            if fault == "duplicate":
                await self._deliver(request)
                return await self._deliver(request)
            response = await self._deliver(request)
            if fault == "truncate":
                body = response.content  # the raw bytes _deliver built it from
                if 200 <= response.status_code < 300 and len(body) > 1:
                    cut = self.rng.randrange(1, len(body))
                    headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
                    return httpx.Response(response.status_code, headers=headers, content=body[:cut])
            return response
        finally:
            for gate in held:
                gate.set()


@dataclass
class Tablet:
    """One simulated replica: a store that survives client restarts, and the Replica over it."""

    name: str
    network: FaultyNetwork
    credentials: Credentials
    rng: random.Random
    sqlite_path: Path | None = None
    store: Store = field(init=False)
    client: Replica = field(init=False)
    http: httpx.AsyncClient = field(init=False)
    created: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Every mutation this replica created: id -> {name, args}."""
    restarts: int = 0
    user: str = "paiva"

    def __post_init__(self) -> None:
        self.http = self.network.http()
        self.store = SQLiteStore(self.sqlite_path) if self.sqlite_path else MemoryStore()
        self.client = self._build()

    def _build(self) -> Replica:
        return Replica(
            self.store,
            self.credentials,
            http=self.http,
            retry=RetryPolicy(attempts=6, base_delay=0.001, max_delay=0.01),
            sleep=_no_sleep,
            random=self.rng.random,
        )

    def restart(self) -> None:
        """The app process dies and starts again: memory but the store is gone."""
        client_id = self.store.client_id
        if self.sqlite_path is not None:
            self.store.close()
            self.store = SQLiteStore(self.sqlite_path)
        self.client = self._build()
        assert self.client.client_id == client_id
        self.restarts += 1

    async def mutate(self, name: str, args: dict[str, Any]) -> None:
        pending = await self.client.mutate(name, args)
        self.created[str(pending.id)] = {"name": name, "args": args, "seq": pending.seq}

    async def aclose(self) -> None:
        await self.http.aclose()
        self.store.close()
