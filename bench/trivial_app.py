"""The fleet benchmark's bound: a Litestar app that does nothing, served by uvicorn as Kaari is.

`POST /ping` reads a small JSON body and answers a small JSON one: what any request costs on this machine
(HTTP parsing, the ASGI hop, Litestar's routing and msgspec), with no authentication and no database.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar, get, post


@post("/ping", status_code=200, sync_to_thread=False)
def ping(data: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "protocol": data.get("protocol")}


@get("/healthz", sync_to_thread=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def create_app() -> Litestar:
    return Litestar([ping, healthz], openapi_config=None)
