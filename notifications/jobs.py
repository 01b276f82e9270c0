"""The notification jobs (run by `server.jobs`: in the server's event loop on a single node, or by arq).

Every job first stores its notifications in one write transaction (inbox rows, `notification` records,
access-log entries, deliveries) and commits, then sends that transaction's deliveries
(`notifications.delivery.deliver`). Run twice, a job stores nothing new (notification ids and delivery keys
are derived from what the notification is about) and sends nothing twice (deliveries are claimed once).
What could not be sent now is left to `notifications.deliver`, asked for at the retry's time, and to the
minute's sweep (held pushes after quiet hours, anything a crashed run left behind).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from notifications import bursts, catch_up, inbox, rules, runtime
from notifications.delivery import Report, cancel_orphans, deliver, expire_stale
from notifications.inbox import Draft
from notifications.triggers import RecordArgs, UnitArgs
from server.db import begin_write
from server.jobs import outbox
from server.jobs.registry import Cron, RetryPolicy, job
from server.sync.changes import ChangeSet
from server.sync.health import stale_devices

# A notification job that failed for a passing reason (the database busy) is tried again soon: it is late.
SOON = RetryPolicy(tries=5, backoff_seconds=2.0, max_backoff_seconds=60.0)


async def _store_and_send(
    session: AsyncSession, now: datetime, drafts: Callable[[], Awaitable[list[Draft]]]
) -> tuple[dict[str, Any], ChangeSet]:
    changes = ChangeSet()
    await begin_write(session)
    stored = await inbox.store(session, changes, await drafts(), now)
    await changes.flush(session)
    await session.commit()
    report = await send(session, [n.id for n in stored], now, changes)
    return {"notifications": len(stored), **_counts(report)}, changes


async def send(
    session: AsyncSession, notification_ids: list[uuid.UUID] | None, now: datetime, changes: ChangeSet
) -> Report:
    """Deliver what is due (of these notifications, or all), then ask for the retries and raise alerts."""
    report = await deliver(session, runtime.sender(), notification_ids=notification_ids, now=now)
    if report.next_retry is not None or report.rejected_origins:
        await begin_write(session)
        if report.next_retry is not None:
            retry_at = report.next_retry
            await outbox.add(
                session, "notifications.deliver", f"retry:{retry_at:%Y-%m-%dT%H:%M:%S}", run_at=retry_at
            )
        for host, code in report.rejected_origins.items():
            # The admins hear of it once a day per push service (the key), in the inbox above all.
            await inbox.store(session, changes, await rules.push_rejected(session, host, code, now), now)
        await changes.flush(session)
        await session.commit()
    return report


def _counts(report: Report) -> dict[str, int]:
    return {
        "accepted": report.accepted,
        "retry": report.retry,
        "gone": report.gone,
        "failed": report.failed,
        "rejected": report.rejected,
        "skipped": report.skipped,
    }


@job("notifications.free_places", args=UnitArgs, retry=SOON, timeout=120)
async def free_places(
    session: AsyncSession, now: datetime, args: UnitArgs
) -> tuple[dict[str, Any], ChangeSet]:
    """Announce the unit's freed places (`notifications.bursts`): now, or when the open window closes."""
    changes = ChangeSet()
    await begin_write(session)
    taken = await bursts.take(session, args.unit_id, now)
    if isinstance(taken, datetime):
        await outbox.add(session, "notifications.free_places", str(args.unit_id), args, run_at=taken)
        return {"coalesced_until": taken.isoformat()}, changes
    drafts = (
        await rules.free_places(session, args.unit_id, taken.first, taken.last, taken.key, now)
        if taken
        else []
    )
    stored = await inbox.store(session, changes, drafts, now)
    await changes.flush(session)
    await session.commit()
    report = await send(session, [n.id for n in stored], now, changes)
    return {"notifications": len(stored), **_counts(report)}, changes


@job("notifications.referral", args=RecordArgs, retry=SOON)
async def referral(
    session: AsyncSession, now: datetime, args: RecordArgs
) -> tuple[dict[str, Any], ChangeSet]:
    """A new referral: its area's coordinators."""
    return await _store_and_send(session, now, lambda: rules.referral(session, args.id))


@job("notifications.application", args=RecordArgs, retry=SOON)
async def application(
    session: AsyncSession, now: datetime, args: RecordArgs
) -> tuple[dict[str, Any], ChangeSet]:
    """A new application: its area's coordinators."""
    return await _store_and_send(session, now, lambda: rules.application(session, args.id))


@job("notifications.offer_expiring", args=RecordArgs, retry=SOON)
async def offer_expiring(
    session: AsyncSession, now: datetime, args: RecordArgs
) -> tuple[dict[str, Any], ChangeSet]:
    """An offer still open 6 h before it expires: the coordinator who made it."""
    return await _store_and_send(session, now, lambda: rules.offer_expiring(session, args.id, now))


@job("notifications.deadline_at_risk", args=RecordArgs, retry=SOON)
async def deadline_at_risk(
    session: AsyncSession, now: datetime, args: RecordArgs
) -> tuple[dict[str, Any], ChangeSet]:
    """An assessment not started the working day before its statutory deadline: its counsellor."""
    return await _store_and_send(session, now, lambda: rules.deadline_at_risk(session, args.id))


@job("notifications.deliver", retry=SOON)
async def deliver_due(session: AsyncSession, now: datetime) -> tuple[dict[str, Any], ChangeSet]:
    """Send every delivery that is due (retries whose time has come)."""
    changes = ChangeSet()
    return _counts(await send(session, None, now, changes)), changes


@job("notifications.sweep", cron=Cron(at_startup=True), retry=SOON)
async def sweep(session: AsyncSession, now: datetime) -> tuple[dict[str, Any], ChangeSet]:
    """Every minute: pushes held for quiet hours whose time has come, and what a crashed run left or a
    deleted subscription orphaned."""
    changes = ChangeSet()
    stale = await expire_stale(session, now)
    cancelled = await cancel_orphans(session)
    report = await send(session, None, now, changes)
    return {"stale": stale, "cancelled": cancelled, **_counts(report)}, changes


@job("notifications.catch_up", cron=Cron(minute=7, at_startup=True), retry=SOON)
async def catch_up_warnings(session: AsyncSession, now: datetime) -> tuple[dict[str, Any], ChangeSet]:
    """At every start and hourly: the expiry and deadline warnings no trigger asked for
    (`notifications.catch_up`), such as those of offers and assessments older than notifications."""
    await begin_write(session)
    asked = await catch_up.scan(session, now)
    return asked, ChangeSet()


EVERY_5_MINUTES = Cron(minute=set(range(0, 60, 5)))


@job("sync.alert_stale_devices", cron=EVERY_5_MINUTES, retry=RetryPolicy(tries=2), timeout=120)
async def alert_stale_devices(session: AsyncSession, now: datetime) -> tuple[dict[str, Any], ChangeSet]:
    """Tell the admins of every device newly stale; returns how many are stale and how many were told."""
    changes = ChangeSet()
    stale_after = timedelta(minutes=runtime.settings().stale_after_minutes)
    await begin_write(session)
    devices = await stale_devices(session, now, stale_after)
    drafts = [draft for device in devices for draft in await rules.device_stale(session, device)]
    stored = await inbox.store(session, changes, drafts, now)
    await changes.flush(session)
    await session.commit()
    report = await send(session, [n.id for n in stored], now, changes) if stored else None
    return {
        "stale": len(devices),
        "notifications": len(stored),
        "accepted": report.accepted if report else 0,
    }, changes
