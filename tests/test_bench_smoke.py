"""The benchmarks cannot rot: `python -m bench --quick` runs every benchmark end to end and prints its rows.

Quick mode is a smoke run (small sizes, real server processes, the reference client over HTTP), not a
measurement; missed targets do not fail it, a broken benchmark does.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# ~25 s expected on an idle 2-core machine, 87 s measured at load 9 (before `notify`, which adds a push
# service and ~15 s, and `fleet`, ~60 s at load 6); override with the variable.
TIMEOUT_S = float(os.environ.get("KAARI_BENCH_SMOKE_TIMEOUT", "300"))


def test_bench_quick_runs_every_benchmark(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "KAARI_DATA_DIR"}}
    env["TMPDIR"] = str(tmp_path)  # the scratch data directories, even if the run is killed
    # Its own process group, so a timeout also ends the server processes the benchmarks started.
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench", "--quick"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        raise AssertionError(
            f"python -m bench --quick took over {TIMEOUT_S:.0f} s\nstdout:\n{stdout}\nstderr:\n{stderr[-4000:]}"
        ) from None
    assert proc.returncode == 0, f"stdout:\n{stdout}\nstderr:\n{stderr[-4000:]}"
    lines = stdout.splitlines()
    assert lines and lines[0].startswith("bench"), stdout
    for name, metric in [
        ("push", "mutations/s"),
        ("pull", "empty pull p99"),
        ("first_sync", "time,"),
        ("first_sync", "bytes on the wire"),
        ("notify", "push decrypted at push service"),
        ("notify", "last delivery"),
        ("fleet", "server p50/p95/p99"),
        ("fleet", "req/s"),
    ]:
        assert any(line.split("|")[0].strip() == name and metric in line for line in lines), (
            f"no {name} row ({metric}) in:\n{stdout}"
        )
    assert "FAILED" not in stdout
    # The small fleet (40 tablets every 2 s, two of them pushing) gets every sync through.
    fleet = next(line for line in lines if line.startswith("fleet") and "req/s" in line)
    assert " 0 errors (" in fleet.split("|")[2], fleet
    assert (REPO / "bench" / "results" / "push-quick.json").exists()
