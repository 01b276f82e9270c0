"""The job outbox: one row per piece of follow-up work, written in the transaction that caused it.

A row is `pending` until a run of its job commits its effect together with `status = done` (see
`server.jobs.runner`), or `failed` once retrying is over. Columns the runners use:

- `waiting_key`: the row's `key` while it waits for its first run, NULL once a run has claimed it. The
  unique index on (`job`, `waiting_key`) is what makes `outbox.add` coalesce: one waiting row per job and
  key (NULLs never collide, so rows already running, done or failed do not count).
- `run_at`: not before this instant (a retry moves it on by the back-off).
- `attempts` / `started_at`: runs started and when the latest one started. A run holds the row for its job's
  lease (timeout + margin); a row started longer ago than that lost its run (a crashed worker) and is
  dispatched again. The attempt number is part of the queue's job id, so a stale delivery is recognised.
- `error`: the latest failure (kept on a retried row until it succeeds); `result`: what the last run returned.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, utcnow

OUTBOX_STATUSES = ("pending", "done", "failed")


class OutboxRow(Base):
    __tablename__ = "job_outbox"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    job: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(200))
    waiting_key: Mapped[str | None] = mapped_column(String(200))
    args: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    run_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[Any | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("job", "waiting_key"),
        Index("ix_job_outbox_status_run_at", "status", "run_at"),
        Index("ix_job_outbox_job_key", "job", "key"),
    )


class RunnerLease(Base):
    """Which server process runs the jobs when there is no Redis (`server.jobs.lease`): one row per lease."""

    __tablename__ = "job_runner_lease"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime]
