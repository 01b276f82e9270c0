"""Every background job, declared next to its domain's code with `@job(...)`.

A job body has the shape of `server.queue.jobs.expire_offers`:

    @job("queue.expire_offers", cron=Cron(), retry=NO_RETRY, timeout=60)
    async def expire_offers(session: AsyncSession, now: datetime) -> tuple[list[uuid.UUID], ChangeSet]: ...

    @job("places.recompute_unit", args=UnitArgs, retry=RetryPolicy(tries=5))
    async def recompute_unit(session: AsyncSession, now: datetime, args: UnitArgs) -> tuple[int, ChangeSet]: ...

It starts its own write transaction (`server.db.begin_write`), commits it once at the end, and returns
`(result, ChangeSet)`: the result (anything msgspec can encode) is kept on the outbox row, the change set's
`touched_scopes` are poked after the commit. Arguments are a `msgspec.Struct` (encoded as JSON in the
outbox, never pickled). Bodies must be idempotent: run twice, the second run changes nothing.

The domains' declarations name the modules that declare jobs (`Domain.jobs`); `server.domains.load()`
imports them in every process (web server, worker, CLI, tests) before anything is looked up here.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec
from arq.cron import next_cron

from server.clock import FINLAND


class InvalidJob(ValueError):
    """A job that is not registered, or arguments that do not fit it."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often a run that failed for a passing reason is tried again (see `runner.is_transient`).

    `tries` counts runs in all; the delay before try n+1 is `backoff_seconds * 2**(n-1)`, capped. A failure
    that retrying cannot cure (a bug, bad arguments) fails the row at once whatever the policy says.
    """

    tries: int = 3
    backoff_seconds: float = 10.0
    max_backoff_seconds: float = 15 * 60

    def delay(self, attempt: int) -> float:
        return min(self.backoff_seconds * 2 ** max(attempt - 1, 0), self.max_backoff_seconds)


NO_RETRY = RetryPolicy(tries=1)
# Nightly work: a database restarting at night is waited out for about half an hour.
NIGHTLY_RETRY = RetryPolicy(tries=5, backoff_seconds=120)


@dataclass(frozen=True)
class Cron:
    """When a scheduled job runs, in Finnish time; fields as in arq's `cron()` (None: every value).

    `Cron()` is every minute; `Cron(hour=0, minute=5)` is daily at 00:05 Helsinki time. `at_startup` also
    runs it when a worker (or the single-node server) starts, for work a stopped server may have missed.
    """

    month: int | set[int] | None = None
    day: int | set[int] | None = None
    weekday: int | set[int] | None = None
    hour: int | set[int] | None = None
    minute: int | set[int] | None = None
    second: int = 0
    at_startup: bool = False

    def fields(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "day": self.day,
            "weekday": self.weekday,
            "hour": self.hour,
            "minute": self.minute,
            "second": self.second,
        }

    def next_after(self, moment: datetime) -> datetime:
        """The first tick after `moment` (an aware datetime), as an aware Helsinki time."""
        return next_cron(moment.astimezone(FINLAND), **self.fields())


@dataclass(frozen=True)
class JobSpec:
    name: str
    body: Callable[..., Any]
    args: type[msgspec.Struct] | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    cron: Cron | None = None
    timeout: float = 120.0

    def encode_args(self, args: msgspec.Struct | None) -> dict[str, Any] | None:
        """Check `args` against the job's Struct and return them as JSON-ready builtins."""
        if self.args is None:
            if args is not None:
                raise InvalidJob(f"Job {self.name!r} takes no arguments, got {type(args).__name__}.")
            return None
        if not isinstance(args, self.args):
            raise InvalidJob(
                f"Job {self.name!r} takes {self.args.__name__} arguments, got {type(args).__name__}."
            )
        data = msgspec.to_builtins(args)
        self.decode_args(data)  # a Struct's fields are not checked when it is built: check them now
        return data

    def decode_args(self, data: Any) -> msgspec.Struct | None:
        if self.args is None:
            return None
        try:
            return msgspec.convert(data, self.args)
        except msgspec.ValidationError as exc:
            raise InvalidJob(f"Bad arguments for job {self.name!r}: {exc}") from exc


_JOBS: dict[str, JobSpec] = {}


def job(
    name: str,
    *,
    args: type[msgspec.Struct] | None = None,
    retry: RetryPolicy | None = None,
    cron: Cron | None = None,
    timeout: float = 120.0,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated body as job `name` (the body itself is returned unchanged)."""

    def register(body: Callable[..., Any]) -> Callable[..., Any]:
        if not inspect.iscoroutinefunction(body):
            raise TypeError(f"Job {name!r}: the body must be an async function.")
        if cron is not None and args is not None:
            raise TypeError(f"Job {name!r}: a scheduled job takes no arguments.")
        known = _JOBS.get(name)
        if known is not None and known.body.__qualname__ != body.__qualname__:
            raise TypeError(f"Job {name!r} is registered twice ({known.body.__qualname__}).")
        _JOBS[name] = JobSpec(name, body, args, retry or RetryPolicy(), cron, timeout)
        return body

    return register


def registered() -> dict[str, JobSpec]:
    """The registry (name → spec), as the declared job modules filled it."""
    return _JOBS


def get(name: str) -> JobSpec:
    spec = _JOBS.get(name)
    if spec is None:
        raise InvalidJob(f"No job is registered as {name!r}.")
    return spec


def scheduled() -> list[JobSpec]:
    return [spec for spec in _JOBS.values() if spec.cron is not None]
