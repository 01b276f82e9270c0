"""`kaari simulate` against a real server process: simulated tablets apply mutations without errors."""

from __future__ import annotations

import subprocess
import sys


def test_simulate_two_tablets_two_rounds(live_server, repo_root):
    run = subprocess.run(
        [
            sys.executable, "-m", "server.cli", "simulate",
            "--url", live_server.url, "--tablets", "2", "--rounds", "2", "--interval", "0.1",
            "--user", "paiva", "--seed", "7",
        ],
        env=live_server.env,
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    header = lines[0].split()
    rows = {line.split()[0]: line.split() for line in lines if line.startswith(("tablet-", "TOTAL"))}
    assert set(rows) == {"tablet-1", "tablet-2", "TOTAL"}, run.stdout
    total = dict(zip(header, rows["TOTAL"], strict=True))
    assert int(total["mutations"]) > 0
    assert int(total["applied"]) > 0
    assert int(total["errors"]) == 0
    assert int(total["mismatches"]) == 0
    assert int(total["pulls"]) >= 2 * 3
