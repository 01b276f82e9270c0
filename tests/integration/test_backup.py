"""`kaari backup` and `kaari restore` on both engines: what the operator gets back, and what is refused.

The round trip runs the CLI as an operator would, against a live database (SQLite: while another
connection holds the write lock); the refusals call `server.backup` directly to keep the file quick.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import text

from server.backup import BackupError, backup, restore
from server.db import create_engine
from server.keys import GENERATED_SECRETS, read_or_create_secret
from server.settings import Settings
from tests.conftest import PostgresDatabases, _admin, make_settings
from tests.integration.servers import kaari, server_env

# Tables whose rows are compared before and after: demo data of several domains and the sync engine.
COMPARED = ("users", "clients", "attendance", "contacts", "changes", "sync_records", "access_log")


async def _counts(settings: Settings) -> dict[str, int]:
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            return {t: (await conn.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one() for t in COMPARED}
    finally:
        await engine.dispose()


def _make_secrets(settings: Settings) -> dict[str, str]:
    from notifications.vapid import load_keys

    read_or_create_secret(settings.data_dir, "token-secret")
    load_keys(settings)
    return {name: (settings.data_dir / name).read_text() for name in GENERATED_SECRETS}


def _empty_target(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Settings for an empty database and data directory to restore into."""
    data = tmp_path / "restored"
    if backend == "sqlite":
        return make_settings(data, f"sqlite+aiosqlite:///{data / 'kaari.sqlite3'}")
    databases: PostgresDatabases = request.getfixturevalue("postgres")
    name = f"{databases.prefix}_restore"
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    databases.names.append(name)
    return make_settings(data, databases.url(name))


def _env(settings: Settings) -> dict[str, str]:
    return server_env(settings.data_dir, settings.database_url)


def test_backup_of_a_live_database_restores_everything_with_its_secrets(
    demo: Settings, backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    secrets = _make_secrets(demo)
    before = asyncio.run(_counts(demo))
    writer = None
    if backend == "sqlite":
        # A write under way while the backup runs: it must neither block the backup nor be in it.
        writer = sqlite3.connect(demo.database_url.split(":///", 1)[1], isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("DELETE FROM contacts")
    made = kaari(_env(demo), "backup", str(tmp_path / "backup"), timeout=120)
    if writer is not None:
        writer.execute("ROLLBACK")
        writer.close()
    assert "Backup of the" in made.stdout
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["engine"] == ("sqlite" if backend == "sqlite" else "postgresql")
    assert {f"secrets/{n}" for n in GENERATED_SECRETS} <= set(manifest["files"])
    assert all((tmp_path / "backup" / f).stat().st_mode & 0o777 == 0o600 for f in manifest["files"])

    target = _empty_target(backend, tmp_path, request)
    restored = kaari(_env(target), "restore", str(tmp_path / "backup"), timeout=120)
    assert "Restored the backup" in restored.stdout

    assert asyncio.run(_counts(target)) == before
    assert {n: (target.data_dir / n).read_text() for n in GENERATED_SECRETS} == secrets
    assert all((target.data_dir / n).stat().st_mode & 0o777 == 0o600 for n in GENERATED_SECRETS)
    # The restored installation is usable as is: the release's own migrations find it at head.
    kaari(_env(target), "db", "upgrade", timeout=120)
    kaari(_env(target), "audit", "verify", timeout=120)


@pytest.fixture
def sqlite_backup(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Settings, Path]:
    """A SQLite installation with its secrets and a backup of it; `backend` fixed to SQLite."""
    source = make_settings(tmp_path / "source", "")
    source = replace(source, database_url=f"sqlite+aiosqlite:///{source.data_dir / 'kaari.sqlite3'}")
    source.data_dir.mkdir(parents=True)
    (source.data_dir / "kaari.sqlite3").write_bytes(request.getfixturevalue("sqlite_template").read_bytes())
    _make_secrets(source)
    backup(source, tmp_path / "backup")
    return source, tmp_path / "backup"


def _fresh(tmp_path: Path) -> Settings:
    data = tmp_path / "fresh"
    return make_settings(data, f"sqlite+aiosqlite:///{data / 'kaari.sqlite3'}")


def _refused(settings: Settings, source: Path, match: str, **kwargs: bool) -> None:
    with pytest.raises(BackupError, match=match):
        restore(settings, source, **kwargs)
    # Nothing of the target was touched.
    assert not (settings.data_dir / "kaari.sqlite3").exists()
    assert not any((settings.data_dir / n).exists() for n in GENERATED_SECRETS)


def test_restore_refuses_a_damaged_backup(sqlite_backup: tuple[Settings, Path], tmp_path: Path) -> None:
    _, source = sqlite_backup
    database = source / "kaari.sqlite3"
    data = bytearray(database.read_bytes())
    data[len(data) // 2] ^= 0xFF
    database.write_bytes(bytes(data))
    _refused(_fresh(tmp_path), source, "kaari.sqlite3 does not match its checksum")


def test_restore_refuses_a_backup_that_did_not_finish(
    sqlite_backup: tuple[Settings, Path], tmp_path: Path
) -> None:
    _, source = sqlite_backup
    (source / "manifest.json").unlink()
    _refused(_fresh(tmp_path), source, "has no manifest.json")
    (source / "manifest.json").write_text('{"format": 1, "engine": ')
    _refused(_fresh(tmp_path), source, "manifest.json is damaged")


def _edit_manifest(source: Path, **changes: object) -> None:
    path = source / "manifest.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))


def test_restore_refuses_another_engine_and_a_newer_release(
    sqlite_backup: tuple[Settings, Path], tmp_path: Path
) -> None:
    _, source = sqlite_backup
    _edit_manifest(source, engine="postgresql")
    _refused(_fresh(tmp_path), source, "a postgresql database, but DATABASE_URL points to sqlite")
    _edit_manifest(source, engine="sqlite", alembic_revision="9999_from_the_future")
    _refused(_fresh(tmp_path), source, "revision 9999_from_the_future is unknown to this release")
    _edit_manifest(source, format=2)
    _refused(_fresh(tmp_path), source, "Backup format 2 is not known")


def test_restore_overwrites_an_installation_only_when_asked(
    sqlite_backup: tuple[Settings, Path], tmp_path: Path
) -> None:
    source, backup_dir = sqlite_backup
    with pytest.raises(BackupError, match="already holds a database"):
        restore(replace(source, data_dir=tmp_path / "other"), backup_dir)
    (source.data_dir / "token-secret").write_text("another\n")
    with pytest.raises(BackupError, match="token-secret differs from the backup's"):
        restore(source, backup_dir)
    assert (source.data_dir / "token-secret").read_text() == "another\n"

    restore(source, backup_dir, replace=True)
    assert (source.data_dir / "token-secret").read_bytes() == (
        backup_dir / "secrets" / "token-secret"
    ).read_bytes()


def test_backup_refuses_a_directory_in_use_and_a_missing_database(
    sqlite_backup: tuple[Settings, Path], tmp_path: Path
) -> None:
    source, backup_dir = sqlite_backup
    with pytest.raises(BackupError, match="is not empty"):
        backup(source, backup_dir)
    with pytest.raises(BackupError, match="No database at"):
        backup(_fresh(tmp_path), tmp_path / "second")
    assert not (_fresh(tmp_path).data_dir / "kaari.sqlite3").exists()


def test_the_generated_secrets_are_all_named(tmp_path: Path, sqlite_template: Path) -> None:
    """Starting the app makes every secret it generates; each must be one that a backup copies."""
    from server.app import create_app

    settings = _fresh(tmp_path)
    settings.data_dir.mkdir(parents=True)
    (settings.data_dir / "kaari.sqlite3").write_bytes(sqlite_template.read_bytes())
    create_app(settings, configure_logs=False)
    made = {p.name for p in settings.data_dir.iterdir() if not p.name.startswith("kaari.sqlite3")}
    assert made == set(GENERATED_SECRETS)
