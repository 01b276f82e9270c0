"""Shared fixtures: a migrated database on SQLite and on the real PostgreSQL, the app, signed-in users.

Database-facing tests take `backend` and run once per engine. PostgreSQL comes from TEST_DATABASE_URL
(default: the machine's 127.0.0.1:5432, database `test`). A service that cannot be reached fails the
test with a message: it is never skipped.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server import domains
from server.app import create_app
from server.db import create_engine
from server.demo import seed_demo
from server.migrate import upgrade
from server.reference.loader import load_region
from server.settings import Settings, normalise_database_url
from server.sync.changes import ChangeSet

# The server's `test` database is only the entry point: each test run works in a database of its own,
# so parallel runs (and developers) never drop each other's schema.
POSTGRES_ADMIN_URL = normalise_database_url(
    os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
)
POSTGRES_URL = POSTGRES_ADMIN_URL  # the server to create databases on (tests that need their own)
REDIS_URL = os.environ.get("TEST_REDIS_URL", os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))

domains.load()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--long", action="store_true", help="run the long versions of the fault and soak tests")


def make_settings(data_dir: Path, database_url: str, **overrides: Any) -> Settings:
    base = Settings.from_env(
        {
            "KAARI_DATA_DIR": str(data_dir),
            "DATABASE_URL": database_url,
            # Argon2id still, with a light cost so hundreds of sign-ins stay quick in tests.
            "KAARI_ARGON2_TIME_COST": "1",
            "KAARI_ARGON2_MEMORY_KIB": "8192",
            # The app under test runs no background jobs unless a test starts them (tests/jobs).
            "KAARI_RUN_JOBS": "0",
        }
    )
    return replace(base, **overrides)


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg", "postgresql")


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_plain(POSTGRES_ADMIN_URL), timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@dataclass
class PostgresDatabases:
    """This run's PostgreSQL databases: two templates (migrated; migrated + demo) and the one tests use.

    Each test gets the work database as a fresh copy of a template (`CREATE DATABASE … TEMPLATE`), which
    is much faster than emptying tables and seeding the demo again.
    """

    prefix: str
    names: list[str] = field(default_factory=list)

    def url(self, name: str) -> str:
        return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    @property
    def work(self) -> str:
        return f"{self.prefix}_work"

    def clone(self, template: str) -> str:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{self.work}" WITH (FORCE)'))
        asyncio.run(_admin(f'CREATE DATABASE "{self.work}" TEMPLATE "{template}"'))
        return self.url(self.work)


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresDatabases]:
    databases = PostgresDatabases(f"kaari_test_{os.getpid()}_{uuid.uuid4().hex[:6]}")
    base, demo = f"{databases.prefix}_base", f"{databases.prefix}_demo"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{base}"'))
    except Exception as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL} ({exc!r}). Start it, or set TEST_DATABASE_URL.",
            pytrace=False,
        )
    databases.names += [base, demo, databases.work]
    directory = tmp_path_factory.mktemp("postgres")
    base_settings = make_settings(directory, databases.url(base))
    upgrade(base_settings)
    asyncio.run(_load_region(base_settings))
    asyncio.run(_admin(f'CREATE DATABASE "{demo}" TEMPLATE "{base}"'))
    asyncio.run(_seed(make_settings(directory, databases.url(demo))))
    yield databases
    for name in databases.names:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file with the region's reference data; each test gets a copy."""
    directory = tmp_path_factory.mktemp("template")
    settings = make_settings(directory, f"sqlite+aiosqlite:///{directory / 'kaari.sqlite3'}")
    upgrade(settings)
    asyncio.run(_load_region(settings))
    return directory / "kaari.sqlite3"


async def _load_region(settings: Settings) -> None:
    engine = create_engine(settings)
    async with async_sessionmaker(engine)() as session:
        await load_region(session, ChangeSet())
        await session.commit()
    await engine.dispose()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The real Redis (127.0.0.1:6379 or TEST_REDIS_URL); unreachable fails the test, never skips it."""
    from redis import Redis

    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:
        pytest.fail(
            f"Redis is not reachable at {REDIS_URL} ({exc!r}). Start it, or set TEST_REDIS_URL.",
            pytrace=False,
        )
    return REDIS_URL


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Settings for a fresh, migrated database with reference data (no demo data)."""
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        shutil.copy(template, tmp_path / "kaari.sqlite3")
        return make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'kaari.sqlite3'}")
    databases = request.getfixturevalue("postgres")
    return make_settings(tmp_path, databases.clone(f"{databases.prefix}_base"))


async def _seed(settings: Settings) -> None:
    engine = create_engine(settings)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        await seed_demo(session, settings)
        await session.commit()
    await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_demo_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The migrated SQLite template with the demo region seeded once per run."""
    directory = tmp_path_factory.mktemp("demo-template")
    shutil.copy(sqlite_template, directory / "kaari.sqlite3")
    asyncio.run(_seed(make_settings(directory, f"sqlite+aiosqlite:///{directory / 'kaari.sqlite3'}")))
    return directory / "kaari.sqlite3"


@pytest.fixture
def demo(settings: Settings, backend: str, request: pytest.FixtureRequest) -> Settings:
    """The same database with the demo region seeded."""
    if backend == "sqlite":
        target = Path(settings.database_url.split(":///", 1)[1])
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copy(request.getfixturevalue("sqlite_demo_template"), target)
    else:
        databases = request.getfixturevalue("postgres")
        databases.clone(f"{databases.prefix}_demo")
    return settings


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A session on the test database, for arranging and checking rows directly."""
    engine = create_engine(settings)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        yield session
    await engine.dispose()


@pytest.fixture
def app(demo: Settings) -> Litestar:
    return create_app(demo, configure_logs=False)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


async def sign_in(
    client: AsyncTestClient[Any], username: str, password: str = "demo", **extra: Any
) -> dict[str, Any]:
    response = await client.post(
        "/api/auth/login", json={"username": username, "password": password, **extra}
    )
    assert response.status_code == 200, response.text
    return response.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def long_run(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--long"))


@pytest.fixture(scope="session")
def repo_root() -> Iterator[Path]:
    yield Path(__file__).resolve().parent.parent
