"""The reference client, instrumented: an httpx transport that times each request and counts its bytes.

Two times per request:

- `server_ms`: the handler's own time, from the server's `Server-Timing: app;dur=<ms>` header (push and
  pull send it): body decoding, the database work, encoding the answer. It excludes authentication (a
  dependency resolved before the handler), the middlewares, gzip, uvicorn and the loopback hop;
- `seconds`: the HTTP round trip on loopback (request sent → whole response body read), which includes
  all of that, but none of the client's own decoding or store work.

Bytes are counted as they cross the wire: bodies as sent (the response body still compressed when the
server gzipped it; httpx asks for gzip by default) plus an estimate of the HTTP/1.1 headers.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import httpx

from sync_protocol.client import Credentials, MemoryStore, Replica, login


@dataclass
class Sample:
    path: str
    seconds: float
    sent: int
    received: int
    status: int
    server_ms: float | None = None
    """The handler's time from `Server-Timing: app;dur=…`, when the server sent it."""
    body_bytes: int = 0
    """The response body as received on the wire (compressed if the server compressed it)."""
    encoding: str = ""
    """The response's `Content-Encoding` (`gzip`, or empty)."""


_APP_DUR = re.compile(r"(?:^|,)\s*app\s*;(?:[^,]*;)?\s*dur\s*=\s*([0-9.]+)")


def server_timing_ms(header: str | None) -> float | None:
    """The `app` metric's `dur` (milliseconds) from a `Server-Timing` header, or None."""
    if not header:
        return None
    match = _APP_DUR.search(header)
    return float(match.group(1)) if match else None


@dataclass
class TimingTransport(httpx.AsyncBaseTransport):
    inner: httpx.AsyncBaseTransport = field(default_factory=httpx.AsyncHTTPTransport)
    samples: list[Sample] = field(default_factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = request.content
        start = time.perf_counter()
        response = await self.inner.handle_async_request(request)
        raw = b"".join([chunk async for chunk in response.stream])
        elapsed = time.perf_counter() - start
        await response.aclose()
        head = sum(len(k) + len(v) + 4 for k, v in request.headers.raw) + len(request.url.raw_path) + 16
        head_in = sum(len(k) + len(v) + 4 for k, v in response.headers.raw) + 17
        self.samples.append(
            Sample(
                request.url.path,
                elapsed,
                len(body) + head,
                len(raw) + head_in,
                response.status_code,
                server_timing_ms(response.headers.get("server-timing")),
                len(raw),
                response.headers.get("content-encoding", ""),
            )
        )
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            content=raw,
            extensions=response.extensions,
            request=request,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


def http_client(base_url: str, transport: TimingTransport | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base_url, transport=transport or TimingTransport(), timeout=60.0)


async def tablet(http: httpx.AsyncClient, username: str = "paiva") -> Replica:
    """A signed-in reference client with an in-memory store (a fresh replica, cookie null)."""
    credentials: Credentials = await login(http, username, "demo")
    return Replica(MemoryStore(), credentials, http=http)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]
