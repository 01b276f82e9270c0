"""Push services for the tests, both real HTTP servers on loopback.

- `WebPushTesting`: the npm package `web-push-testing` (a third-party push service: it checks VAPID and
  decrypts the payload), run as a Node process on a free port. `tests/push_service/package.json` pins it;
  `make test-deps` installs it.
- `FakePushService`: a small aiohttp server for what web-push-testing cannot do: answers 404, 410, 413,
  429 with `Retry-After`, 500, 401/403 and slow responses, as scripted per endpoint path. It records every
  request (headers and time) and decrypts bodies with the subscription's private key (http_ece, as a
  browser would), so tests see exactly what a device would get. `forward_to` relays a path to another
  push service (web-push-testing) after recording, to see the headers that one does not expose.
"""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import http_ece
import httpx
import pytest
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.integration.servers import free_port

PACKAGE = Path(__file__).resolve().parents[1] / "push_service" / "node_modules" / "web-push-testing"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class WebPushTesting:
    """`node node_modules/web-push-testing/src/bin/server.js PORT`; stopped by `stop()`."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, deadline: float = 30.0) -> None:
        server = PACKAGE / "src" / "bin" / "server.js"
        if not server.exists():
            pytest.fail(
                f"web-push-testing is not installed ({server} missing): run `make test-deps`.", pytrace=False
            )
        self.proc = subprocess.Popen(
            ["node", str(server), str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        until = time.monotonic() + deadline
        while time.monotonic() < until:
            if self.proc.poll() is not None:
                pytest.fail(f"web-push-testing exited with {self.proc.returncode}", pytrace=False)
            try:
                if httpx.post(f"{self.url}/status", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        pytest.fail("web-push-testing did not answer within 30 s", pytrace=False)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    async def subscribe(self, application_server_key: str) -> dict[str, Any]:
        """A browser's `PushSubscription` JSON, from the service, plus its `clientHash`."""
        async with httpx.AsyncClient() as http:
            answer = await http.post(
                f"{self.url}/subscribe",
                json={"applicationServerKey": application_server_key, "userVisibleOnly": "true"},
            )
        assert answer.status_code == 200, answer.text
        data = answer.json()["data"]
        # The service names itself `localhost`; the same service on the address the server may call.
        data["endpoint"] = data["endpoint"].replace("http://localhost:", "http://127.0.0.1:")
        return data

    async def messages(self, client_hash: str) -> list[str]:
        """The decrypted payloads the service has received for a subscription, oldest first."""
        async with httpx.AsyncClient() as http:
            answer = await http.post(f"{self.url}/get-notifications", json={"clientHash": client_hash})
        assert answer.status_code == 200, answer.text
        return answer.json()["data"]["messages"]

    async def expire(self, client_hash: str) -> None:
        async with httpx.AsyncClient() as http:
            answer = await http.post(f"{self.url}/expire-subscription/{client_hash}")
        assert answer.status_code == 200, answer.text


@dataclass
class FakeSubscription:
    """A browser's side of a subscription: its keys, and what it decrypts."""

    path: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes

    def json(self) -> dict[str, Any]:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(point), "auth": b64url(self.auth)},
        }


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    at: float
    status: int
    body: bytes = b""
    subscription: FakeSubscription | None = None

    @property
    def plaintext(self) -> bytes | None:
        """The payload as the browser decrypts it (on demand: decrypting costs CPU a benchmark needs)."""
        if self.subscription is None or self.status != 201:
            return None
        sub = self.subscription
        return http_ece.decrypt(
            self.body, private_key=sub.private_key, auth_secret=sub.auth, version="aes128gcm"
        )


Script = Callable[[int], tuple[int, dict[str, str], float]]
"""n-th request (0-based) to a path → (status, headers, seconds to wait before answering)."""


def always(status: int, headers: dict[str, str] | None = None, delay: float = 0.0) -> Script:
    return lambda n: (status, headers or {}, delay)


def first_then(first: int, then: int, headers: dict[str, str] | None = None, times: int = 1) -> Script:
    return lambda n: (first, headers or {}, 0.0) if n < times else (then, {}, 0.0)


@dataclass
class FakePushService:
    port: int = field(default_factory=free_port)
    scripts: dict[str, Script] = field(default_factory=dict)
    forwards: dict[str, str] = field(default_factory=dict)
    subscriptions: dict[str, FakeSubscription] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def subscription(self, name: str, script: Script | None = None) -> FakeSubscription:
        """A new subscription answered as `script` says (201 by default)."""
        path = f"/push/{name}"
        sub = FakePushService.make(path, self.url + path)
        self.subscriptions[path] = sub
        if script is not None:
            self.scripts[path] = script
        return sub

    @staticmethod
    def make(path: str, endpoint: str) -> FakeSubscription:
        return FakeSubscription(path, endpoint, ec.generate_private_key(ec.SECP256R1()), os.urandom(16))

    def forward(self, name: str, target_endpoint: str) -> str:
        """An endpoint here that records and relays to `target_endpoint` (a real push service)."""
        path = f"/forward/{name}"
        self.forwards[path] = target_endpoint
        return self.url + path

    def requests(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    async def start(self) -> None:
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post("/{kind}/{name}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        path, body, headers = request.path, await request.read(), dict(request.headers)
        if path in self.forwards:
            async with httpx.AsyncClient() as http:
                answer = await http.post(self.forwards[path], content=body, headers=_relayed(headers))
            self.received.append(Received(path, headers, time.monotonic(), answer.status_code))
            return web.Response(status=answer.status_code, body=answer.content)
        n = len(self.requests(path))
        status, extra, delay = self.scripts.get(path, always(201))(n)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(delay)
        finally:
            self.in_flight -= 1
        self.received.append(
            Received(path, headers, time.monotonic(), status, body, self.subscriptions.get(path))
        )
        return web.Response(status=status, headers=extra, text="" if status < 400 else f"scripted {status}")


def _relayed(headers: dict[str, str]) -> dict[str, str]:
    keep = ("authorization", "content-encoding", "content-type", "ttl", "urgency", "topic")
    return {k: v for k, v in headers.items() if k.lower() in keep}
