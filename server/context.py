"""What the app holds for its whole life: settings, token service, engine (on `app.state.kaari`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncEngine

from server.accounts.tokens import TokenService
from server.jobs.serving import ServerJobs
from server.settings import Settings
from server.sync.pokes import Pokes


@dataclass
class AppContext:
    settings: Settings
    tokens: TokenService
    engine: AsyncEngine
    pokes: Pokes
    jobs: ServerJobs
    cookie_key: bytes = field(init=False)

    def __post_init__(self) -> None:
        # Pull cookies are signed with their own key, derived from the token secret (server.sync.cookie).
        self.cookie_key = self.tokens.derive_key("pull-cookie")


def provide_context(request: Request[Any, Any, Any]) -> AppContext:
    return request.app.state.kaari


def client_address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"
