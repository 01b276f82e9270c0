"""The sync engine's housekeeping jobs (docs/jobs.md): stale devices, change-log compaction, old health reports.

- `sync.alert_stale_devices` (every 5 minutes) tells the admins of a stale device; it is a notification job
  (`notifications.jobs`) that reads `server.sync.health.stale_devices`.
- `sync.compact_change_log` (nightly): removes the change-log versions that are superseded — a later
  change of the same record is itself older than `KAARI_CHANGE_LOG_RETENTION_DAYS` — and the history of
  records deleted before then, and raises `sync_head.compacted_before` to the newest version it removed,
  so a cookie older than that gets `reset` and a snapshot (protocol §4) instead of an incomplete log.
- `sync.prune_health_reports` (nightly): forgets the last health report of a replica that has not pulled
  for `KAARI_HEALTH_REPORT_RETENTION_DAYS` (a tablet retired or reset long ago).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import Text, and_, cast, delete, func, null, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from server import settings as process_settings
from server.db import begin_write
from server.jobs.registry import NIGHTLY_RETRY, Cron, job
from server.sync.changes import ChangeSet
from server.sync.models import Change, ChangeScope, Replica, SyncHead

DELETE_BATCH = 1000
"""Changes removed per statement (their `change_scopes` rows are named by (scope, version) pairs)."""
COMMIT_BATCH = 20
"""Statements per transaction: each commit lets the writers waiting for the lock in (SQLite)."""


# --- change-log compaction -----------------------------------------------------------------------------------


async def compactable(session: AsyncSession, before: datetime) -> list[int]:
    """The versions compaction removes, oldest first.

    Up to the cutoff version C (the newest change made before `before`): every change of a record that
    has a later change at or below C, and every change of a record whose last change at or below C is a
    `del`. What is kept is each live record's last change made before the cutoff, and everything after:
    the state of any record at any moment inside the retention can still be read from the log (the SAS
    meeting view reads referrals' past states from it).
    """
    cutoff = await session.scalar(select(func.max(Change.version)).where(Change.at < before))
    if cutoff is None:
        return []
    record = (Change.record_type, Change.record_id)
    ranked = (
        select(
            Change.version,
            func.row_number().over(partition_by=record, order_by=Change.version.desc()).label("newer"),
            func.first_value(Change.op)
            .over(partition_by=record, order_by=Change.version.desc())
            .label("last"),
        )
        .where(Change.version <= cutoff)
        .subquery()
    )
    query = (
        select(ranked.c.version)
        .where(or_(ranked.c.newer > 1, ranked.c.last == "del"))
        .order_by(ranked.c.version)
    )
    return list((await session.execute(query)).scalars())


async def _remove(session: AsyncSession, versions: list[int]) -> None:
    """Delete these changes and their `change_scopes` rows (by primary key: each change's old and new scopes)."""
    pairs: list[tuple[str, int]] = []
    for version, scopes, old_scopes in await session.execute(
        select(Change.version, cast(Change.scopes, Text), cast(Change.old_scopes, Text)).where(
            Change.version.in_(versions)
        )
    ):
        touched = set(msgspec.json.decode(scopes or "[]")) | set(msgspec.json.decode(old_scopes or "[]"))
        pairs += [(scope, version) for scope in touched]
    for start in range(0, len(pairs), DELETE_BATCH):
        await session.execute(
            delete(ChangeScope).where(
                tuple_(ChangeScope.scope, ChangeScope.version).in_(pairs[start : start + DELETE_BATCH])
            )
        )
    await session.execute(delete(Change).where(Change.version.in_(versions)))


@job("sync.compact_change_log", cron=Cron(hour=3, minute=45), retry=NIGHTLY_RETRY, timeout=3600)
async def compact_change_log(session: AsyncSession, now: datetime) -> tuple[dict[str, Any], ChangeSet]:
    """Remove superseded changes older than the retention; returns how many and the new `compacted_before`.

    The versions are read once, then removed in transactions of `COMMIT_BATCH * DELETE_BATCH` changes, each
    raising `compacted_before` to the newest version it removed in the same commit: a pull sees the
    removal and the raised bound together or neither, so no cookie can read past a gap. A run cut short
    (a crash, a timeout) has kept what it committed; the next run goes on from there.
    """
    retention = timedelta(days=process_settings.current().change_log_retention_days)
    versions = await compactable(session, now - retention)
    await session.rollback()  # end the read: the writes below take the write lock (SQLite) from the start
    bound = None
    step = COMMIT_BATCH * DELETE_BATCH
    for start in range(0, len(versions), step):
        chunk = versions[start : start + step]
        await begin_write(session)
        for first in range(0, len(chunk), DELETE_BATCH):
            await _remove(session, chunk[first : first + DELETE_BATCH])
        # Raised last, just before the commit: on PostgreSQL the head row's lock blocks writers until then.
        await session.execute(
            update(SyncHead)
            .where(SyncHead.id == 1, SyncHead.compacted_before < chunk[-1])
            .values(compacted_before=chunk[-1])
        )
        await session.commit()
        bound = chunk[-1]
    if bound is None:
        bound = await session.scalar(select(SyncHead.compacted_before).where(SyncHead.id == 1))
        await session.rollback()
    return {"removed": len(versions), "compacted_before": bound}, ChangeSet()


# --- health reports ------------------------------------------------------------------------------------------


@job("sync.prune_health_reports", cron=Cron(hour=3, minute=50), retry=NIGHTLY_RETRY)
async def prune_health_reports(session: AsyncSession, now: datetime) -> tuple[int, ChangeSet]:
    """Forget the health report (outbox depth, last error, storage, clock skew) of every replica that has not
    pulled within the retention; its counters and times stay for the admin view. Returns how many."""
    before = now - timedelta(days=process_settings.current().health_report_retention_days)
    await begin_write(session)
    silent = or_(
        Replica.last_pull_at < before,
        and_(Replica.last_pull_at.is_(None), Replica.created_at < before),
    )
    reported = or_(
        and_(Replica.health.is_not(None), cast(Replica.health, Text) != "null"),
        Replica.last_error.is_not(None),
        Replica.clock_skew_ms.is_not(None),
    )
    result = await session.execute(
        update(Replica)
        .where(silent, reported)
        .values(health=null(), last_error=None, clock_skew_ms=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount, ChangeSet()
