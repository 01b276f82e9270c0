"""A real Kaari server process on a fresh data directory, for one benchmark.

`upgrade + seed demo` costs ~10 s of imports and Argon2 hashing, so it runs once per `python -m bench`
invocation into a template directory; each benchmark gets a copy of that directory (a fresh data dir
holding exactly what `kaari db upgrade && kaari seed demo` produced) and its own server process on a free
port.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
DB_NAME = "kaari.sqlite3"


def bench_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)  # SQLite, the default
    env.update(
        KAARI_DATA_DIR=str(data_dir),
        KAARI_ARGON2_TIME_COST="1",
        KAARI_ARGON2_MEMORY_KIB="8192",
        PYTHONUNBUFFERED="1",
    )
    return env


def _prepare(data_dir: Path) -> None:
    """`kaari db upgrade && kaari seed demo` (both CLI commands, in one process: one import, not two)."""
    subprocess.run(
        [sys.executable, "-m", "bench.prepare"],
        cwd=REPO,
        env=bench_env(data_dir),
        check=True,
        stdout=subprocess.DEVNULL,
    )


class Workspace:
    """A scratch directory for one `python -m bench` run: the seeded template, then one copy per bench."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="kaari-bench-"))
        self.template: Path | None = None

    def fresh_data_dir(self, name: str) -> Path:
        if self.template is None:
            template = self.root / "template"
            template.mkdir()
            _prepare(template)
            self.template = template
        target = self.root / name
        shutil.copytree(self.template, target)
        return target

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _die_with_parent() -> None:
    """In the child, before exec: on Linux, get SIGTERM if the benchmark process dies (even by SIGKILL)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


PROFILE_DIR: Path | None = None
"""When set (`python -m bench --profile DIR`), servers run under cProfile and write DIR/<name>.prof."""


class ServerProcess:
    """`python -m server.cli serve --port <free>`; `start()` waits for /healthz with a deadline."""

    def __init__(
        self, data_dir: Path, *, deadline: float = 60.0, env: dict[str, str] | None = None, workers: int = 1
    ) -> None:
        self.data_dir = data_dir
        self.workers = workers
        self.extra_env = env or {}
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.deadline = deadline
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / "server.log"

    @property
    def db_path(self) -> Path:
        return self.data_dir / DB_NAME

    def start(self) -> ServerProcess:
        log = self.log_path.open("ab")
        profile: list[str] = []
        if PROFILE_DIR is not None:
            PROFILE_DIR.mkdir(parents=True, exist_ok=True)
            profile = ["-m", "cProfile", "-o", str(PROFILE_DIR / f"{self.data_dir.name}.prof")]
        self.proc = subprocess.Popen(
            [sys.executable, *profile, "-m", "server.cli", "serve", "--port", str(self.port)]
            + (["--workers", str(self.workers)] if self.workers > 1 else []),
            cwd=REPO,
            env={**bench_env(self.data_dir), **self.extra_env},
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        log.close()
        end = time.monotonic() + self.deadline
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server not healthy within {self.deadline:.0f} s: {self.log_tail()}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        # SIGINT: uvicorn shuts down gracefully and cProfile (if any) still writes its file.
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
