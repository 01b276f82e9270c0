"""Settings from the environment, with safe single-node defaults.

Everything an operator can set is read here, once, into a frozen `Settings`. Nothing else in the code reads
`os.environ`, so the README's settings table and this module are the whole story.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _seconds(env: dict[str, str], name: str, default: int) -> int:
    value = env.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise ValueError(f"{name} must be a whole number of seconds, 0 or more (got {value!r}).")
    return int(value)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    redis_url: str | None
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    # Token lifetimes: the protocol and docs/security.md cap access tokens at 15 minutes.
    access_token_seconds: int = 15 * 60
    refresh_token_days: int = 30
    # A spent refresh token presented again this soon, while its successor is unused, is a lost response
    # being retried, not a copy: it gets a new pair instead of ending the sign-in. 0 turns this off.
    refresh_grace_seconds: int = 60
    # Failed sign-ins per username (and per address) in the window before 429.
    login_max_failures: int = 5
    login_failure_window_seconds: int = 15 * 60
    login_max_failures_per_address: int = 50
    # A password sign-in lasts at most this long: refreshing past it asks for the password again.
    reauth_hours: int = 12
    # A browser that signed a user in keeps a signed device cookie this long; from it the user's sign-in is
    # not locked by others' failures on their username or address (docs/security.md).
    device_cookie_days: int = 90
    # Environment overrides for secrets; when empty they are generated into data_dir.
    token_secret: str | None = field(default=None, repr=False)
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    enrolment_code_hours: int = 72
    max_body_bytes: int = 1024 * 1024
    # Sync health: a replica silent this long with work queued is flagged stale for admins.
    stale_after_minutes: int = 60
    # Housekeeping (docs/jobs.md): how long the change log keeps superseded versions, how long a silent
    # replica's last health report is kept.
    change_log_retention_days: int = 30
    health_report_retention_days: int = 90
    # Jobs (docs/jobs.md): whether `kaari serve` runs (no Redis) or dispatches (Redis) them; the arq queue.
    run_jobs: bool = True
    jobs_queue: str = "kaari:jobs"
    # Without Redis, one server process runs the jobs; it holds a lease this long, renewed a third as often.
    jobs_lease_seconds: float = 15.0
    # Web Push (notifications/): the VAPID key (generated into data_dir when unset) and the contact that push
    # services see; loopback endpoints only for tests; extra push-service hosts beyond the known ones.
    vapid_private_key: str | None = field(default=None, repr=False)
    vapid_subject: str = "mailto:push-admin@kaari.invalid"
    push_allow_loopback: bool = False
    push_service_hosts: tuple[str, ...] = ()
    push_concurrency: int = 50
    # Of those in flight, at most this many to one push service: a slow one leaves room for the others.
    push_concurrency_per_origin: int = 40
    push_timeout_seconds: float = 10.0

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("KAARI_DATA_DIR") or "./var").resolve()
        database_url = env.get("DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir / 'kaari.sqlite3'}"
        return cls(
            data_dir=data_dir,
            database_url=normalise_database_url(database_url),
            redis_url=env.get("REDIS_URL") or None,
            host=env.get("KAARI_HOST", "127.0.0.1"),
            port=int(env.get("KAARI_PORT", "8000")),
            log_level=env.get("KAARI_LOG_LEVEL", "INFO").upper(),
            token_secret=env.get("KAARI_TOKEN_SECRET") or None,
            refresh_grace_seconds=_seconds(env, "KAARI_REFRESH_GRACE_SECONDS", 60),
            argon2_time_cost=int(env.get("KAARI_ARGON2_TIME_COST", "3")),
            argon2_memory_kib=int(env.get("KAARI_ARGON2_MEMORY_KIB", "65536")),
            stale_after_minutes=int(env.get("KAARI_STALE_AFTER_MINUTES", "60")),
            change_log_retention_days=int(env.get("KAARI_CHANGE_LOG_RETENTION_DAYS", "30")),
            health_report_retention_days=int(env.get("KAARI_HEALTH_REPORT_RETENTION_DAYS", "90")),
            run_jobs=_bool(env.get("KAARI_RUN_JOBS"), default=True),
            jobs_queue=env.get("KAARI_JOBS_QUEUE") or "kaari:jobs",
            jobs_lease_seconds=float(env.get("KAARI_JOBS_LEASE_SECONDS", "15")),
            vapid_private_key=env.get("KAARI_VAPID_PRIVATE_KEY") or None,
            vapid_subject=env.get("KAARI_VAPID_SUBJECT") or cls.vapid_subject,
            push_allow_loopback=_bool(env.get("KAARI_PUSH_ALLOW_LOOPBACK")),
            push_service_hosts=tuple(
                h.strip().lower() for h in env.get("KAARI_PUSH_SERVICE_HOSTS", "").split(",") if h.strip()
            ),
            push_concurrency=int(env.get("KAARI_PUSH_CONCURRENCY", "50")),
            push_concurrency_per_origin=int(env.get("KAARI_PUSH_CONCURRENCY_PER_ORIGIN", "40")),
            push_timeout_seconds=float(env.get("KAARI_PUSH_TIMEOUT_SECONDS", "10")),
        )


def normalise_database_url(url: str) -> str:
    """Accept the URLs operators paste (postgres://, postgresql://) and pick the async drivers."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+asyncpg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite:///"):
        url = "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    return url


_current: Settings | None = None


def use(settings: Settings) -> None:
    """Make `settings` this process's (the app factory and the worker do, at start)."""
    global _current
    _current = settings


def current() -> Settings:
    """This process's settings, for code that runs outside a request (jobs); from the environment if unset."""
    global _current
    if _current is None:
        _current = Settings.from_env()
    return _current
