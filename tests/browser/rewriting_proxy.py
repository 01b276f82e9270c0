"""A tiny HTTP proxy in front of the live server that can make /sw.js look like a new release.

Playwright cannot intercept the browser's own fetch of a service worker script (the update check),
so the update-gate test points its browser here instead. The proxy forwards every request unchanged,
except that once `new_release()` is called, /sw.js gets a trailing comment: a byte-different worker,
which the browser installs as an update. The real dist/ on disk is never touched.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "content-length"}


class RewritingProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream = httpx.Client(base_url=upstream, timeout=30)
        self.release = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def new_release(self) -> None:
        self.release += 1


class _Handler(BaseHTTPRequestHandler):
    server: RewritingProxy

    def _forward(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP | {"host"}}
        upstream = self.server.upstream.request(
            self.command, self.path, headers=headers, content=self.rfile.read(length) if length else None
        )
        body = upstream.content
        if self.path.split("?")[0] == "/sw.js" and self.server.release:
            body += f"\n// release {self.server.release}\n".encode()
        self.send_response(upstream.status_code)
        for key, value in upstream.headers.items():
            if key.lower() not in HOP_BY_HOP | {"content-encoding", "date", "server"}:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_HEAD = _forward

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the server's own log has the requests


@contextmanager
def rewriting_proxy(upstream: str) -> Iterator[RewritingProxy]:
    proxy = RewritingProxy(upstream)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.shutdown()
        proxy.server_close()
        proxy.upstream.close()
