"""Browser tests: the built PWA served by the real server in a subprocess, driven by Debian's Chromium.

The server gets a fresh data directory (SQLite, demo seed) and a free loopback port; every test gets a
new browser context, so service worker registrations, caches and IndexedDB start empty. Chromium that
is missing fails the run with a hint: it is never skipped.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

REPO = Path(__file__).resolve().parents[2]
PWA = REPO / "pwa_shell"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TABLET = {"width": 1280, "height": 800}
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
DOC_SCREENSHOTS = REPO / "docs" / "screenshots"
SERVER_START_SECONDS = 120  # generous: CI machines are shared and can be very busy


@dataclass(frozen=True)
class LiveServer:
    url: str
    env: dict[str, str]
    data_dir: Path

    def cli(self, *args: str) -> str:
        """Run `kaari …` against this server's data directory; returns its output."""
        done = subprocess.run(
            [sys.executable, "-m", "server.cli", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"kaari {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def sign_in(self, username: str, password: str = "demo") -> dict:
        response = httpx.post(
            f"{self.url}/api/auth/login", json={"username": username, "password": password}, timeout=30
        )
        assert response.status_code == 200, response.text
        return response.json()

    def push_from_another_device(
        self, username: str, name: str, args: dict, base_version: int | None = None
    ) -> dict:
        """`username` signs in on another device (a new replica) and pushes one mutation; its result."""
        token = self.sign_in(username)["access_token"]
        mutation = {"id": str(uuid.uuid4()), "seq": 1, "name": name, "version": 1, "args": args}
        if base_version is not None:
            mutation["base_version"] = base_version
        response = httpx.post(
            f"{self.url}/api/sync/v1/push",
            json={"protocol": 1, "client_id": str(uuid.uuid4()), "mutations": [mutation]},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        [result] = response.json()["results"]
        return result

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Read the server's SQLite database directly (read-only): what the server really stored."""
        with sqlite3.connect(f"file:{self.data_dir / 'kaari.sqlite3'}?mode=ro", uri=True, timeout=30) as db:
            return db.execute(sql, params).fetchall()

    def enroll(self, unit: str, name: str) -> str:
        """A one-time enrolment code for a new tablet of `unit`."""
        output = self.cli("device", "enroll", "--unit", unit, "--name", name)
        return re.search(r": ([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})$", output, re.MULTILINE).group(1)

    def as_admin(self) -> httpx.Client:
        token = self.sign_in("admin")["access_token"]
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def _run(command: list[str], cwd: Path) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        pytest.fail(
            f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}", pytrace=False
        )


@pytest.fixture(scope="session")
def pwa_dist() -> Path:
    """The built app; built here if nobody has (make run / make test build it too)."""
    if not (PWA / "dist" / "index.html").is_file():
        _run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], PWA)
        _run(["npm", "run", "build"], PWA)
    return PWA / "dist"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"The server exited with {process.returncode}:\n{log.read_text()[-3000:]}", pytrace=False
            )
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)  # poll interval, bounded by the deadline above
    pytest.fail(f"The server was not healthy within {SERVER_START_SECONDS} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="package")
def live_server(pwa_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("kaari-data")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        KAARI_DATA_DIR=str(data_dir),
        DATABASE_URL=f"sqlite+aiosqlite:///{data_dir / 'kaari.sqlite3'}",
        # Argon2id still, with a light cost so sign-ins stay quick in tests.
        KAARI_ARGON2_TIME_COST="1",
        KAARI_ARGON2_MEMORY_KIB="8192",
    )
    server = LiveServer(f"http://127.0.0.1:{port}", env, data_dir)
    server.cli("db", "upgrade")
    server.cli("seed", "demo")
    log = data_dir / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_healthy(server.url, process, log)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


# Package scope, not session: Playwright's sync API keeps an event loop running in this thread while it
# is open, and the rest of the suite needs the thread free for asyncio.run().
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}. Run `make test`, which installs it "
            "(never `playwright install`).",
            pytrace=False,
        )
    # A tablet in Finland: its "today" (pages and service worker alike) is the server's, at every hour.
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, env={**os.environ, "TZ": "Europe/Helsinki"}
    )
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    """A fresh profile at tablet size: no service worker, cache or IndexedDB from other tests."""
    context = browser.new_context(base_url=live_server.url, viewport=TABLET, locale="fi-FI")
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture(scope="session")
def unit_names() -> dict[str, dict[str, str]]:
    """Unit labels by code, from the reference data the server loads."""
    rows = json.loads((REPO / "server" / "reference" / "data" / "units.json").read_text())
    return {row["code"]: row["labels"] for row in rows}


def eventually(check: Callable[[], object], timeout: float = 10.0, interval: float = 0.05) -> object:
    """Poll `check` until it returns something truthy, or fail at the deadline with its last value.

    For conditions Playwright cannot wait on itself: page.wait_for_function() does not await a
    predicate's promise, so an async predicate (IndexedDB, service worker registration) needs this.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s; last value: {value!r}")
        time.sleep(interval)


def sign_in(page: Page, username: str, password: str = "demo") -> None:
    """Fill in and send the Finnish sign-in form."""
    page.get_by_label("Käyttäjätunnus").fill(username)
    page.get_by_label("Salasana").fill(password)
    page.get_by_role("button", name="Kirjaudu", exact=True).click()


# The signed-in user's sync engine, through the debug hook on window.kaari (src/main.js).
ENGINE_IDLE = """() => {
  const engine = window.kaari.engine();
  return Boolean(engine && engine.status.complete && !engine.status.syncing && !engine.running);
}"""
MUTATE = "async ([name, args]) => { await window.kaari.engine().mutate(name, args); }"


def wait_for_sync(page: Page, timeout: float = 60.0) -> None:
    """The first sync is complete and no sync is running."""
    eventually(lambda: page.evaluate(ENGINE_IDLE), timeout=timeout)


def engine_query(page: Page, record_type: str) -> list[dict]:
    """Every record of `record_type` as the app sees it: {id, data, version, scopes, pending}."""
    return page.evaluate("async (type) => window.kaari.engine().query(type)", record_type)


def enrol_tablet(page: Page, code: str) -> None:
    page.goto("/enrol")
    page.get_by_label("Käyttöönottokoodi").fill(code)
    page.get_by_role("button", name="Ota käyttöön").click()
    expect(page.get_by_test_id("enrolled")).to_be_visible()
    page.get_by_role("link", name="Siirry kirjautumaan").click()


def tablet(
    browser: Browser, server: LiveServer, name: str, *, unit: str = "oulu-da-1", user: str = "paiva"
) -> tuple[BrowserContext, Page]:
    """A new browser profile enrolled as a shared tablet of `unit`, `user` signed in and synced.

    The caller closes the context. Unit staff land on their unit's screen (/paiva for day activity).
    """
    context = browser.new_context(base_url=server.url, viewport=TABLET, locale="fi-FI")
    context.set_default_timeout(15_000)
    page = context.new_page()
    enrol_tablet(page, server.enroll(unit, name))
    sign_in(page, user)
    expect(page).to_have_url(re.compile(r"/(paiva|hoiva)$"))
    wait_for_service_worker(page)
    wait_for_sync(page)
    return context, page


def wait_for_service_worker(page: Page) -> None:
    """The worker is active and controls this page (clients.claim on first install)."""
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


@pytest.fixture(scope="session")
def screenshot() -> Callable[..., None]:
    """Save a screenshot at tablet size to test-artifacts/screenshots/NAME.png (git-ignored).

    `readme=True` marks the one picture of a screen the README shows: with KAARI_README_SCREENSHOTS=1
    in the environment it is also written to docs/screenshots/ (the visible 1280x800 screen, not the
    full page, so the file stays small). Off by default, so a test run leaves the work tree clean.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(page: Page, name: str, *, readme: bool = False) -> None:
        page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
        if readme and os.environ.get("KAARI_README_SCREENSHOTS") == "1":
            DOC_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.evaluate("() => window.scrollTo(0, 0)")  # the top of the screen, as a person first sees it
            page.screenshot(path=DOC_SCREENSHOTS / f"{name}.png")

    return save
