"""Fixtures for the notification tests: the app with loopback push endpoints allowed, the push services,
signed-in users, and a way to run the jobs the outbox holds (the real job runner, `server.jobs.runner`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import async_sessionmaker

from notifications import runtime
from server.app import create_app
from server.db import create_engine
from server.settings import Settings
from tests.conftest import bearer, sign_in
from tests.notifications.push_services import FakePushService, WebPushTesting


@pytest.fixture
def push_settings(demo: Settings) -> Settings:
    """The demo database; push endpoints on loopback allowed (the test push services); short timeouts."""
    return replace(demo, push_allow_loopback=True, push_timeout_seconds=1.0)


@pytest.fixture
def app(push_settings: Settings) -> Litestar:
    return create_app(push_settings, configure_logs=False)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


@pytest.fixture(autouse=True)
async def close_push_client() -> AsyncIterator[None]:
    """The push sender's HTTP client belongs to the test's event loop: closed with it."""
    yield
    await runtime.close()


@pytest.fixture(scope="session")
def web_push() -> Iterator[WebPushTesting]:
    service = WebPushTesting()
    service.start()
    yield service
    service.stop()


@pytest.fixture
async def fake_push() -> AsyncIterator[FakePushService]:
    service = FakePushService()
    await service.start()
    yield service
    await service.stop()


class User:
    """A signed-in user of the test client: `get`/`post`/`delete` with their token."""

    def __init__(self, client: AsyncTestClient[Any], login: dict[str, Any]) -> None:
        self.client, self.login = client, login
        self.headers = bearer(login["access_token"])
        self.id = login["user"]["id"]

    async def get(self, url: str, **kw: Any) -> Any:
        return await self.client.get(url, headers=self.headers, **kw)

    async def post(self, url: str, **kw: Any) -> Any:
        return await self.client.post(url, headers=self.headers, **kw)

    async def put(self, url: str, **kw: Any) -> Any:
        return await self.client.put(url, headers=self.headers, **kw)

    async def delete(self, url: str, **kw: Any) -> Any:
        return await self.client.delete(url, headers=self.headers, **kw)

    async def subscribe(self, subscription: dict[str, Any], **preferences: Any) -> dict[str, Any]:
        answer = await self.post(
            "/api/notifications/subscriptions",
            json={"subscription": subscription, "preferences": preferences},
        )
        assert answer.status_code in (200, 201), answer.text
        return answer.json()

    async def inbox(self, **params: Any) -> dict[str, Any]:
        answer = await self.get("/api/notifications", params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()


@pytest.fixture
def signed_in(client: AsyncTestClient[Any]):
    async def login(username: str) -> User:
        return User(client, await sign_in(client, username))

    return login


@pytest.fixture
async def sessions(push_settings: Settings) -> AsyncIterator[async_sessionmaker]:
    engine = create_engine(push_settings)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


@pytest.fixture
def drain(app: Litestar, sessions: async_sessionmaker, client: AsyncTestClient[Any]):
    """Run the due outbox rows with the real job runner (`server.jobs.runner.run_row`) until none is due;
    `ahead` runs them as if that much later (a coalescing window closing, a warning falling due)."""
    from datetime import timedelta

    from server.db import utcnow
    from server.jobs import outbox
    from server.jobs.runner import JobRuntime, run_row

    async def run(ahead: timedelta = timedelta(0), rounds: int = 20) -> list[str]:
        runtime = JobRuntime(sessions, app.state.kaari.pokes, clock=lambda: utcnow() + ahead)
        outcomes: list[str] = []
        for _ in range(rounds):
            async with sessions() as session:
                due = await outbox.due(session, runtime.clock())
            if not due:
                return outcomes
            for row_id, _job, attempts in due:
                outcomes.append(await run_row(runtime, row_id, attempts))
        raise AssertionError(f"jobs still due after {rounds} rounds: {outcomes}")

    return run
