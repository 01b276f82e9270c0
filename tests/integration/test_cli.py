"""The operator's path: `kaari db upgrade`, `seed demo`, `user create`, `device enroll`, `audit verify`."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from server.demo import DEMO_USERS


def kaari(data_dir: Path, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "KAARI_DATA_DIR": str(data_dir),
        "KAARI_ARGON2_TIME_COST": "1",
        "KAARI_ARGON2_MEMORY_KIB": "8192",
    }
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        env=env,
        input=input,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_operator_steps_from_an_empty_data_directory(tmp_path):
    data = tmp_path / "var"
    upgraded = kaari(data, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    seeded = kaari(data, "seed", "demo")
    assert seeded.returncode == 0 and "Demo data created." in seeded.stdout
    for username in ("admin", "kotas", "ohjaaja", "paiva", "hoiva"):
        assert username in seeded.stdout
    again = kaari(data, "seed", "demo")
    assert "already there" in again.stdout

    db = sqlite3.connect(data / "kaari.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    users = db.execute("SELECT count(*) FROM users").fetchone()[0]
    assert users == len(DEMO_USERS)

    created = kaari(
        data,
        "user",
        "create",
        "mmeikalainen",
        "--name",
        "Maija M",
        "--role",
        "counsellor:area:oulu",
        "--password",
        "correct horse",
    )
    assert created.returncode == 0, created.stderr
    duplicate = kaari(data, "user", "create", "mmeikalainen", "--name", "X", "--password", "correct horse")
    assert duplicate.returncode != 0 and "taken" in duplicate.stderr

    code = kaari(data, "device", "enroll", "--unit", "oulu-da-1", "--name", "Aula")
    assert code.returncode == 0 and "Enrolment code" in code.stdout
    assert kaari(data, "device", "enroll", "--unit", "nope", "--name", "x").returncode != 0

    verified = kaari(data, "audit", "verify")
    assert verified.returncode == 0 and "intact" in verified.stdout


def test_demo_is_deterministic(tmp_path):
    snapshots = []
    for name in ("a", "b"):
        data = tmp_path / name
        assert kaari(data, "db", "upgrade").returncode == 0
        assert kaari(data, "seed", "demo").returncode == 0
        db = sqlite3.connect(data / "kaari.sqlite3")
        snapshots.append(
            (
                db.execute("SELECT id, username FROM users ORDER BY id").fetchall(),
                db.execute(
                    "SELECT id, first_name, last_name, birth_date FROM clients ORDER BY id"
                ).fetchall(),
                db.execute("SELECT id, code, capacity FROM units ORDER BY id").fetchall(),
            )
        )
    assert snapshots[0] == snapshots[1]
    assert len(snapshots[0][1]) > 100
