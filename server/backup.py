"""`kaari backup DIR` and `kaari restore DIR`: the database and the generated secrets, with a manifest.

A backup directory holds the database (SQLite: a copy made with SQLite's online backup API, safe while
Kaari runs; PostgreSQL: a `pg_dump` custom-format archive, one consistent snapshot), the secrets Kaari
generated into the data directory (`secrets/`, mode 0600), and `manifest.json`: the engine, the Alembic
revision, the time, and the SHA-256 of every file. The manifest is written last, so a backup cut short has
none and is refused. Restore checks everything it can before it touches the target: the manifest, every
checksum, the engine, that this release knows the revision, that the target is empty (or `--replace`).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import msgspec
from sqlalchemy.engine import make_url

from server.keys import GENERATED_SECRETS, SECRET_SETTINGS, ensure_data_dir
from server.settings import Settings

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "kaari.sqlite3"
POSTGRES_FILE = "kaari.pgdump"
SECRETS = "secrets"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


class Manifest(msgspec.Struct, forbid_unknown_fields=True):
    format: int
    engine: str  # "sqlite" | "postgresql"
    alembic_revision: str
    created_at: datetime
    # Path inside the backup → SHA-256 hex.
    files: dict[str, str]
    # Secrets set in the environment when the backup was made: not in the backup, the operator keeps them.
    secrets_in_environment: list[str] = []


def engine_of(settings: Settings) -> str:
    return "sqlite" if settings.is_sqlite else "postgresql"


def sqlite_path(settings: Settings) -> Path:
    return Path(settings.database_url.split(":///", 1)[1])


def libpq_url(settings: Settings) -> str:
    return settings.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- backup ---------------------------------------------------------------------------------------


def backup(settings: Settings, target: Path) -> Manifest:
    """Write a backup of the configured database and the data directory's secrets into `target`."""
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: give a new directory for each backup.")
    target.mkdir(parents=True, exist_ok=True)
    os.chmod(target, 0o700)  # it holds the secrets
    if settings.is_sqlite:
        database = target / SQLITE_FILE
        _sqlite_backup(sqlite_path(settings), database)
        revision = _sqlite_revision(database)
    else:
        database = target / POSTGRES_FILE
        revision = asyncio.run(_postgres_revision(settings))
        _run_pg("pg_dump", settings, "--format=custom", f"--file={database}")
        # A migration between the two would leave the manifest naming the wrong schema.
        if asyncio.run(_postgres_revision(settings)) != revision:
            raise BackupError("The database was migrated while the backup ran; run the backup again.")
    os.chmod(database, 0o600)  # client data: readable by the operator only, like the secrets
    files = [database]
    for name in GENERATED_SECRETS:
        source = settings.data_dir / name
        if source.exists():
            (target / SECRETS).mkdir(mode=0o700, exist_ok=True)
            copy = target / SECRETS / name
            shutil.copyfile(source, copy)
            os.chmod(copy, 0o600)
            files.append(copy)
    manifest = Manifest(
        format=FORMAT,
        engine=engine_of(settings),
        alembic_revision=revision,
        created_at=datetime.now(UTC),
        files={str(f.relative_to(target)): sha256(f) for f in files},
        secrets_in_environment=[
            SECRET_SETTINGS[n] for n in GENERATED_SECRETS if _from_environment(settings, n)
        ],
    )
    _write_atomically(target / MANIFEST, msgspec.json.format(msgspec.json.encode(manifest)) + b"\n")
    return manifest


def _from_environment(settings: Settings, name: str) -> bool:
    return bool(
        {"token-secret": settings.token_secret, "vapid-private-key": settings.vapid_private_key}[name]
    )


def _sqlite_backup(source: Path, target: Path) -> None:
    if not source.exists():
        raise BackupError(f"No database at {source}: check KAARI_DATA_DIR / DATABASE_URL.")
    # The online backup API copies a consistent snapshot while Kaari keeps reading and writing; in WAL
    # mode the writer is not held up. Opened read-only so a wrong path never creates an empty database.
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        check = dst.execute("PRAGMA quick_check").fetchone()[0]
    if check != "ok":
        raise BackupError(
            f"The copy of {source} fails SQLite's check ({check}); the database may be damaged."
        )


def _sqlite_revision(database: Path) -> str:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        try:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.DatabaseError:
            row = None
    if row is None:
        raise BackupError(f"{database} has no Alembic revision: run `kaari db upgrade` first.")
    return str(row[0])


async def _postgres_revision(settings: Settings) -> str:
    import asyncpg

    conn = await asyncpg.connect(libpq_url(settings), timeout=10)
    try:
        exists = await conn.fetchval("SELECT to_regclass('alembic_version') IS NOT NULL")
        revision = await conn.fetchval("SELECT version_num FROM alembic_version") if exists else None
    finally:
        await conn.close()
    if revision is None:
        raise BackupError("The database has no Alembic revision: run `kaari db upgrade` first.")
    return str(revision)


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed: install Debian's postgresql-client of the server's major version "
            "(scripts/system-deps.sh postgres)."
        )
    return path


def _run_pg(tool: str, settings: Settings, *args: str) -> None:
    """Run pg_dump/pg_restore on the configured database; the password goes by the environment, never
    on the command line where `ps` shows it."""
    url = make_url(libpq_url(settings))
    env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    argv = [_pg_tool(tool), f"--dbname={url.set(password=None).render_as_string(hide_password=False)}", *args]
    done = subprocess.run(argv, capture_output=True, text=True, env=env)  # noqa: S603 (our argv, no shell)
    if done.returncode != 0:
        raise BackupError(f"{Path(argv[0]).name} failed ({done.returncode}): {done.stderr.strip()}")


def _write_atomically(path: Path, data: bytes, mode: int = 0o600) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


# --- restore --------------------------------------------------------------------------------------


def read_manifest(source: Path) -> Manifest:
    """The backup's manifest, once every file it lists is there with its checksum."""
    try:
        manifest = msgspec.json.decode((source / MANIFEST).read_bytes(), type=Manifest)
    except FileNotFoundError:
        raise BackupError(
            f"{source} has no {MANIFEST}: it is not a Kaari backup, or its backup did not finish."
        ) from None
    except msgspec.DecodeError as exc:
        raise BackupError(f"{source / MANIFEST} is damaged ({exc}).") from None
    if manifest.format != FORMAT:
        raise BackupError(
            f"Backup format {manifest.format} is not known to this release (it reads {FORMAT})."
        )
    for name, expected in manifest.files.items():
        path = source / name
        if not path.is_file():
            raise BackupError(f"{name} is missing from the backup.")
        if sha256(path) != expected:
            raise BackupError(f"{name} does not match its checksum in {MANIFEST}: the backup is damaged.")
    return manifest


def restore(settings: Settings, source: Path, *, replace: bool = False) -> Manifest:
    """Restore the backup in `source` into the configured database and data directory."""
    manifest = read_manifest(source)
    engine = engine_of(settings)
    if manifest.engine != engine:
        raise BackupError(
            f"The backup is of a {manifest.engine} database, but DATABASE_URL points to {engine}."
        )
    if manifest.alembic_revision not in known_revisions():
        raise BackupError(
            f"The backup's schema revision {manifest.alembic_revision} is unknown to this release: "
            "it was made by a newer one. Restore it with that release."
        )
    secrets = {
        n: (source / SECRETS / n).read_bytes()
        for n in GENERATED_SECRETS
        if f"{SECRETS}/{n}" in manifest.files
    }
    if not replace:
        for name, value in secrets.items():
            current = settings.data_dir / name
            if current.exists() and current.read_bytes() != value:
                raise BackupError(f"{current} differs from the backup's: pass --replace to overwrite it.")
    if settings.is_sqlite:
        _restore_sqlite(source / SQLITE_FILE, sqlite_path(settings), replace)
        restored = _sqlite_revision(sqlite_path(settings))
    else:
        asyncio.run(_prepare_postgres(settings, replace))
        _run_pg(
            "pg_restore",
            settings,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            str(source / POSTGRES_FILE),
        )
        restored = asyncio.run(_postgres_revision(settings))
    if restored != manifest.alembic_revision:
        raise BackupError(
            f"The restored database is at {restored}, the backup at {manifest.alembic_revision}."
        )
    ensure_data_dir(settings.data_dir)
    for name, value in secrets.items():
        _write_atomically(settings.data_dir / name, value)
    return manifest


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    from server.migrate import MIGRATIONS

    return {script.revision for script in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}


def _restore_sqlite(backup_file: Path, target: Path, replace: bool) -> None:
    if target.exists() and _sqlite_has_tables(target) and not replace:
        raise BackupError(
            f"{target} already holds a database: stop Kaari and pass --replace to overwrite it."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    # Through the backup API rather than a file copy: it replaces the pages under SQLite's own locks and
    # leaves no stale -wal of the old database to be replayed over the restored one.
    with sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=WAL")


def _sqlite_has_tables(path: Path) -> bool:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] > 0


async def _prepare_postgres(settings: Settings, replace: bool) -> None:
    import asyncpg

    conn = await asyncpg.connect(libpq_url(settings), timeout=10)
    try:
        tables = await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        if tables and not replace:
            raise BackupError(
                "The database already has tables: stop Kaari and pass --replace to overwrite it "
                "(its public schema is dropped first)."
            )
        if tables:
            await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await conn.close()
