"""A real Kaari server process for the tests that need one (SSE streams, the CLI simulator).

The in-process test client hangs on endless SSE streams (QUALITY.md), so these tests talk HTTP to
`python -m server.cli serve` on a free port, with a fresh data directory migrated and seeded first.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from server.db import create_engine
from server.demo import seed_demo
from server.settings import Settings
from tests.conftest import make_settings

START_DEADLINE = 30.0


@dataclass(frozen=True)
class LiveServer:
    url: str
    data_dir: Path
    env: dict[str, str]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _seed(settings: Settings) -> None:
    engine = create_engine(settings)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        await seed_demo(session, settings)
        await session.commit()
    await engine.dispose()


@pytest.fixture(scope="session")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, repo_root: Path, sqlite_template: Path
) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("live")
    # `kaari db upgrade` and `kaari seed demo`, done in-process (the same functions; no two extra
    # interpreter start-ups): a copy of the migrated template with the region, then the demo data.
    shutil.copy(sqlite_template, data_dir / "kaari.sqlite3")
    settings = make_settings(data_dir, f"sqlite+aiosqlite:///{data_dir / 'kaari.sqlite3'}")
    asyncio.run(_seed(settings))
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "KAARI_TOKEN_SECRET"}
    }
    env |= {
        "KAARI_DATA_DIR": str(data_dir),
        "KAARI_ARGON2_TIME_COST": "1",
        "KAARI_ARGON2_MEMORY_KIB": "8192",
        "KAARI_LOG_LEVEL": "WARNING",
    }
    port = _free_port()
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
        env=env,
        cwd=repo_root,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_DEADLINE
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"the server exited with {process.returncode}: {(data_dir / 'server.log').read_text()}"
                )
            try:
                if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer /healthz within {START_DEADLINE} s")
            time.sleep(0.1)
        yield LiveServer(url, data_dir, env)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()
