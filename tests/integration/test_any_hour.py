"""The date-sensitive tests again at 00:20 in Finland, when UTC is still on the day before.

"Today" is Finland's in the server (`server.clock`), in the app (a tablet in Finland) and in the tests.
A test or a server path that takes the UTC date instead passes all day and fails only between midnight in
Finland and midnight UTC (CI once did, 17 tests at once). libfaketime moves the clock of a second pytest
run (SQLite only: PostgreSQL's own clock cannot be moved) to 22:20 UTC today; the clock runs on from there.
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys
from datetime import UTC, datetime, time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = [
    "tests/applications",
    "tests/assessments",
    "tests/clients",
    "tests/contacts",
    "tests/day_activity",
    "tests/events",
    "tests/notifications/test_rules.py",
    "tests/places",
    "tests/queue",
    "tests/statistics",
    "tests/tasks",
]


def faked_clock_env() -> dict[str, str]:
    libraries = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))
    if not libraries:
        pytest.fail("libfaketime is not installed: `make test` installs it (scripts/system-deps.sh test)")
    moment = datetime.combine(datetime.now(UTC).date(), time(22, 20))
    return {**os.environ, "LD_PRELOAD": libraries[0], "FAKETIME": f"@{moment:%Y-%m-%d %H:%M:%S}"}


def test_the_date_sensitive_tests_pass_just_after_midnight_in_finland(tmp_path: Path) -> None:
    env = faked_clock_env()
    dates = subprocess.run(
        [sys.executable, "-c", "import datetime as d, server.clock as c; "
         "print(d.datetime.now(d.UTC).date(), c.today_in_finland())"],
        env=env, cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert dates[0] != dates[1], f"the faked clock did not take: {dates}"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "not postgres",
         "--basetemp", str(tmp_path / "run"), *MODULES],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
