"""The `kaari` command: serve, migrate, seed, and the operator's everyday tasks."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.settings import Settings

T = TypeVar("T")


def _with_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    from server import domains
    from server.db import create_engine

    domains.load()

    async def run() -> T:
        engine = create_engine(settings)
        try:
            async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(run())


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Kaari: offline-first client and operations management for social care."""
    ctx.obj = Settings.from_env()


@main.command()
@click.option("--host", default=None, help="Address to listen on (default KAARI_HOST or 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default KAARI_PORT or 8000).")
@click.option("--workers", default=1, show_default=True, help="Worker processes (PostgreSQL only).")
@click.pass_obj
def serve(settings: Settings, host: str | None, port: int | None, workers: int) -> None:
    """Serve the API and the app."""
    import uvicorn

    if workers > 1 and settings.is_sqlite:
        raise click.UsageError("Several worker processes need PostgreSQL (DATABASE_URL); SQLite runs one.")
    uvicorn.run(
        "server.app:create_app",
        factory=True,
        host=host or settings.host,
        port=settings.port if port is None else port,
        workers=workers,
        log_config=None,
        proxy_headers=True,
        timeout_graceful_shutdown=10,
        # A new worker imports the whole app before it is ready: several seconds on a loaded 2-core
        # machine, so uvicorn's 5 s made every SIGHUP restart give up (tests/integration/test_shutdown.py).
        timeout_worker_healthcheck=30,
    )


@main.command()
@click.option("--burst", is_flag=True, help="Run what is queued, then exit (catch-up runs, tests).")
@click.pass_obj
def worker(settings: Settings, burst: bool) -> None:
    """Run background jobs beside `kaari serve` (needs REDIS_URL; docs/jobs.md)."""
    from arq.worker import run_worker

    from server.logs import configure_logging
    from server.worker import worker_settings

    if not settings.redis_url:
        raise click.UsageError(
            "kaari worker needs REDIS_URL. Without Redis, `kaari serve` runs the jobs itself."
        )
    configure_logging(settings.log_level)
    run_worker(worker_settings(settings), burst=burst)


@main.group()
def jobs() -> None:
    """Background jobs."""


@jobs.command("run")
@click.argument("name")
@click.pass_obj
def jobs_run(settings: Settings, name: str) -> None:
    """Ask for a run of job NAME now (a scheduled job, e.g. places.move_free_places_window)."""
    from server.db import begin_write, utcnow
    from server.jobs import outbox
    from server.jobs.registry import InvalidJob

    async def work(session: AsyncSession) -> None:
        await begin_write(session)
        await outbox.add(session, name, f"manual:{utcnow():%Y-%m-%dT%H:%M:%S}")

    try:
        _with_session(settings, work)
    except InvalidJob as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"{name} will run at once ({'kaari worker' if settings.redis_url else 'kaari serve'} runs it)."
    )


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@click.pass_obj
def db_upgrade(settings: Settings, revision: str) -> None:
    """Apply migrations, then load the region's reference data (areas, municipalities, code lists)."""
    from server.migrate import upgrade
    from server.reference.loader import load_region
    from server.sync.changes import ChangeSet

    upgrade(settings, revision)
    _with_session(settings, lambda session: load_region(session, ChangeSet()))
    click.echo(f"Database is at {revision}: {settings.database_url.split('@')[-1]}")


@main.command("backup")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.pass_obj
def backup_command(settings: Settings, directory: Path) -> None:
    """Back up the database and the generated secrets into DIRECTORY (new or empty); safe while Kaari runs."""
    from server.backup import BackupError, backup

    try:
        manifest = backup(settings, directory)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Backup of the {manifest.engine} database at revision {manifest.alembic_revision} in {directory}."
    )
    for name in manifest.secrets_in_environment:
        click.echo(f"{name} is set in the environment and is not in the backup: keep it with the backup.")


@main.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Overwrite a database and secrets that are already there.")
@click.pass_obj
def restore_command(settings: Settings, directory: Path, replace: bool) -> None:
    """Restore a backup made by `kaari backup` (stop Kaari first); checks it before touching anything."""
    from server.backup import BackupError, restore

    try:
        manifest = restore(settings, directory, replace=replace)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Restored the backup of {manifest.created_at:%Y-%m-%d %H:%M} UTC (revision {manifest.alembic_revision}). "
        "Run `kaari db upgrade` before starting this release."
    )
    for name in manifest.secrets_in_environment:
        click.echo(f"Set {name} to the value kept with this backup.")


@main.group()
def seed() -> None:
    """Demo and test data."""


@seed.command("demo")
@click.pass_obj
def seed_demo(settings: Settings) -> None:
    """Create the deterministic demo region and its five users (password `demo`). Safe to repeat."""
    from server.demo import demo_sign_ins, seed_demo

    created = _with_session(settings, lambda s: seed_demo(s, settings))
    click.echo("Demo data created." if created else "Demo data is already there.")
    click.echo(demo_sign_ins())


def _parse_role(value: str) -> dict[str, Any]:
    from server.reference.models import reference_id

    role, _, scope = value.partition(":")
    if not scope:
        return {"role": role}
    kind, _, code = scope.partition(":")
    if kind not in {"area", "unit"} or not code:
        raise click.BadParameter(f"{value!r}: use ROLE, ROLE:area:CODE or ROLE:unit:CODE")
    return {"role": role, f"{kind}_id": reference_id(kind, code)}


@main.group("import")
def import_() -> None:
    """Take data over from other systems (docs/import.md)."""


@import_.command("sbm")
@click.option(
    "--system",
    required=True,
    type=click.Choice(["kallio", "raahe", "oulu", "kuusamo", "selanne"]),
    help="The regional system the export comes from (its label mapping is used).",
)
@click.option("--dry-run", is_flag=True, help="Check everything and print the report; write nothing.")
@click.option(
    "--language",
    type=click.Choice(["fi", "sv", "en"]),
    default="fi",
    show_default=True,
    help="The report's language (printed and written).",
)
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.pass_obj
def import_sbm(settings: Settings, system: str, directory: Path, dry_run: bool, language: str) -> None:
    """Import one regional system's export folder; the report is also written beside it as CSV."""
    from server.sbm_import.cli import import_folder

    try:
        report = import_folder(settings, system, directory, dry_run=dry_run, language=language)  # type: ignore[arg-type]
    except (OSError, ValueError) as error:  # no database, an unreadable file, a broken mapping file
        raise click.ClickException(str(error)) from error
    click.echo(report.text())
    click.echo(f"{report.say('report_file')}: {report.directory / report.file_name}")


@main.group()
def demo() -> None:
    """Data to try Kaari on."""


@demo.command("sbm-exports")
@click.option("--scale", default=1.0, show_default=True, help="1 = the county (about 60,000 clients).")
@click.option("--seed", "seed_value", default=2026, show_default=True)
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def demo_sbm_exports(directory: Path, scale: float, seed_value: int) -> None:
    """Write the five regional systems' exports, with the faults real exports have."""
    from server.sbm_import.demo_exports import write_exports

    counts = write_exports(directory, scale=scale, seed=seed_value)
    for system, files in counts.items():
        click.echo(f"{system}: " + ", ".join(f"{name} {rows}" for name, rows in files.items()))


@main.group()
def user() -> None:
    """Staff accounts."""


@user.command("create")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="Full name shown in the app.")
@click.option("--role", "roles", multiple=True, help="ROLE, ROLE:area:CODE or ROLE:unit:CODE; repeatable.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.pass_obj
def user_create(
    settings: Settings, username: str, display_name: str, roles: tuple[str, ...], password: str
) -> None:
    """Create a user, e.g. `kaari user create mmeikalainen --name "Maija M" --role counsellor:area:oulu`."""
    import msgspec

    from server.accounts.schemas import NewUser
    from server.accounts.service import create_user
    from server.errors import KaariError

    try:
        new = msgspec.convert(
            {
                "username": username,
                "display_name": display_name,
                "password": password,
                "roles": [_parse_role(r) for r in roles],
            },
            NewUser,
        )
        created = _with_session(settings, lambda s: create_user(s, settings, new))
    except (msgspec.ValidationError, KaariError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created user {created.username} ({created.id}).")


@main.group()
def device() -> None:
    """Tablets and other devices."""


@device.command("enroll")
@click.option("--unit", "unit_code", required=True, help="The unit's code, e.g. oulu-da-1.")
@click.option("--name", "device_name", required=True, help="A name staff recognise, e.g. 'Lobby tablet'.")
@click.pass_obj
def device_enroll(settings: Settings, unit_code: str, device_name: str) -> None:
    """Make a one-time enrolment code for a tablet of a unit."""
    from server.devices.service import create_enrolment_code, validate_device_name
    from server.reference.models import Unit

    async def work(session: AsyncSession) -> Any:
        unit = (await session.execute(select(Unit).where(Unit.code == unit_code))).scalar_one_or_none()
        if unit is None:
            raise click.ClickException(f"No unit with code {unit_code!r}.")
        return await create_enrolment_code(
            session, settings, unit.id, validate_device_name(device_name), None
        )

    code = _with_session(settings, work)
    click.echo(f"Enrolment code for {device_name} in {unit_code}: {code.code}")
    click.echo(
        f"Valid until {code.expires_at:%Y-%m-%d %H:%M} UTC. Type it into the tablet's enrolment screen."
    )


@main.group()
def vapid() -> None:
    """Web Push (VAPID) keys."""


@vapid.command("keys")
@click.pass_obj
def vapid_keys(settings: Settings) -> None:
    """Print the VAPID public key (made on first use into the data directory unless
    KAARI_VAPID_PRIVATE_KEY is set); browsers subscribe with it."""
    from notifications.vapid import KEY_FILE, load_keys

    keys = load_keys(settings)
    where = "KAARI_VAPID_PRIVATE_KEY" if settings.vapid_private_key else str(settings.data_dir / KEY_FILE)
    click.echo(keys.public_key)
    click.echo(f"Private key: {where}. Subject: {keys.subject}", err=True)


@main.group()
def audit() -> None:
    """The access log."""


@audit.command("verify")
@click.pass_obj
def audit_verify(settings: Settings) -> None:
    """Check the access log's hash chain; exits 1 if it has been tampered with."""
    from server.access_log.service import verify

    report = _with_session(settings, verify)
    if report.ok:
        click.echo(f"Access log intact: {report.entries} entries.")
        return
    click.echo(f"Access log BROKEN at entry {report.first_bad_id}: {report.problem}", err=True)
    sys.exit(1)


@main.command()
@click.option("--url", default="http://127.0.0.1:8000", show_default=True, help="The running server.")
@click.option("--tablets", default=5, show_default=True, type=click.IntRange(1), help="Simulated tablets.")
@click.option("--rounds", default=10, show_default=True, type=click.IntRange(0), help="Sync rounds each.")
@click.option("--interval", default=1.0, show_default=True, type=float, help="Seconds between rounds.")
@click.option("--user", default="paiva", show_default=True, help="Who signs in on every tablet.")
@click.option("--password", default="demo", show_default=True, help="Their password.")
@click.option(
    "--per-round", default=3, show_default=True, type=click.IntRange(0), help="Mutations per round."
)
@click.option("--seed", default=None, type=int, help="Random seed, for a repeatable run.")
def simulate(
    url: str,
    tablets: int,
    rounds: int,
    interval: float,
    user: str,
    password: str,
    per_round: int,
    seed: int | None,
) -> None:
    """Drive simulated tablets (the reference client) against a running server; print what they did."""
    from sync_protocol.simulate import format_table
    from sync_protocol.simulate import simulate as run

    results = asyncio.run(run(url, tablets, rounds, interval, user, password, per_round=per_round, seed=seed))
    click.echo(format_table(results))
    if any(r.errors for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
