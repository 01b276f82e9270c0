"""Real server processes for integration tests: run the CLI, start/kill `kaari serve`, wait on /healthz.

Tests that need requests to run in parallel processes, or a process to die mid-request (`kill -9`), use
this instead of the in-process test client.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
LIGHT_ARGON2 = {"KAARI_ARGON2_TIME_COST": "1", "KAARI_ARGON2_MEMORY_KIB": "8192"}


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(data_dir: Path, database_url: str | None = None, **extra: str) -> dict[str, str]:
    """The environment for the CLI: a data directory, a database, a light Argon2 cost."""
    env = {**os.environ, "KAARI_DATA_DIR": str(data_dir), **LIGHT_ARGON2, **extra}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def kaari(env: dict[str, str], *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run `python -m server.cli ARGS`; raises with its output if it fails."""
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"kaari {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    return done


class ServerProcess:
    """`python -m server.cli serve` in its own process group, so a kill takes its workers too."""

    def __init__(
        self, env: dict[str, str], *, port: int | None = None, workers: int = 1, log: Path | None = None
    ):
        self.env = env
        self.port = port or free_port()
        self.workers = workers
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, deadline: float = 60.0) -> None:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        output = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "server.cli", "serve", "--port", str(self.port)]
                + (["--workers", str(self.workers)] if self.workers > 1 else []),
                env=self.env,
                cwd=REPO,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            if output is not subprocess.DEVNULL:
                output.close()
        self.starts += 1
        self.wait_healthy(deadline)

    def wait_healthy(self, deadline: float = 60.0) -> None:
        """Poll /healthz until it answers 200; fail with the log's tail after `deadline` seconds."""
        assert self.proc is not None
        until = time.monotonic() + deadline
        while time.monotonic() < until:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self._tail()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"server not healthy within {deadline}s:\n{self._tail()}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send `sig` to the whole process group (the server and its workers) and reap it."""
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)
        self.proc.wait(timeout=30)
        if sig == signal.SIGKILL:
            self._wait_group_gone()

    def _wait_group_gone(self, deadline: float = 10.0) -> None:
        assert self.proc is not None
        until = time.monotonic() + deadline
        while time.monotonic() < until:
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.02)

    def stop(self) -> None:
        """Terminate gracefully, then kill if it does not go."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()
        except ProcessLookupError:
            pass

    def _tail(self, lines: int = 40) -> str:
        if self.log and self.log.exists():
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return "(no log)"

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def demo_server(directory: Path, **extra: str) -> ServerProcess:
    """`kaari db upgrade`, `kaari seed demo` and a started `kaari serve` on SQLite in `directory/var`
    (its log `directory/server.log`); stop it when done."""
    env = server_env(directory / "var", **extra)
    kaari(env, "db", "upgrade")
    kaari(env, "seed", "demo")
    server = ServerProcess(env, log=directory / "server.log")
    server.start()
    return server
