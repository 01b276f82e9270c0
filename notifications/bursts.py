"""Coalescing free places: ten places freeing in a unit within a minute make one notification, not ten.

The first freed place of a unit is announced at once and opens a one-minute window. Places freed while
the window is open are collected (`pending_*`) and announced when it closes, as a new revision of the
same notification: the same inbox row, the same `tag` and `Topic`, so the device replaces what it shows
instead of adding to it. A window that closes with something to announce opens the next one for the same
notification (a steady trickle updates it at most once a minute); one that closes with nothing pending
ends the burst, and the next freed place starts a new notification.

`note_freed` runs in the freeing mutation's transaction, under the unit's capacity lock (every places
mutation holds it), so two of them never race on a unit's row; `take` runs in the job.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from notifications.models import NotificationBurst

WINDOW = timedelta(seconds=60)


def subject_of(unit_id: uuid.UUID) -> str:
    return f"free_places:{unit_id}"


async def _burst(session: AsyncSession, unit_id: uuid.UUID) -> NotificationBurst | None:
    return await session.get(
        NotificationBurst, subject_of(unit_id), with_for_update=True, populate_existing=True
    )


async def note_freed(
    session: AsyncSession, unit_id: uuid.UUID, first: date, last: date, now: datetime
) -> datetime | None:
    """Add first..last to the unit's pending dates; returns when the job should announce them (the end of
    the open window), or None for at once."""
    burst = await _burst(session, unit_id)
    if burst is None:
        burst = NotificationBurst(subject=subject_of(unit_id))
        session.add(burst)
    if burst.pending_first is None or burst.pending_last is None:
        burst.pending_first, burst.pending_last, burst.pending_since = first, last, now
    else:
        burst.pending_first, burst.pending_last = (
            min(burst.pending_first, first),
            max(burst.pending_last, last),
        )
    return burst.closes_at if burst.closes_at is not None and burst.closes_at > now else None


@dataclass(frozen=True)
class Announcement:
    key: str
    """The notification's key: the same for every revision of one burst."""
    first: date
    last: date


async def take(session: AsyncSession, unit_id: uuid.UUID, now: datetime) -> Announcement | datetime | None:
    """In the job's write transaction: what to announce now (and the window then opens or moves on), the
    time to come back (the window is still open), or None (nothing pending: a second run of the job)."""
    burst = await _burst(session, unit_id)
    if burst is None or burst.pending_first is None or burst.pending_last is None:
        return None
    if burst.closes_at is not None and burst.closes_at > now:
        return burst.closes_at
    joins = (
        burst.notification_key is not None
        and burst.closes_at is not None
        and burst.pending_since is not None
        and burst.pending_since < burst.closes_at
    )
    if joins:
        # Freed while the window was open: an update of the burst's notification, covering all of it.
        assert burst.first_date is not None and burst.last_date is not None
        burst.first_date = min(burst.first_date, burst.pending_first)
        burst.last_date = max(burst.last_date, burst.pending_last)
    else:
        burst.notification_key = f"{subject_of(unit_id)}:{now.isoformat(timespec='milliseconds')}"
        burst.first_date, burst.last_date = burst.pending_first, burst.pending_last
    burst.pending_first = burst.pending_last = burst.pending_since = None
    burst.closes_at = now + WINDOW
    assert burst.notification_key is not None
    return Announcement(burst.notification_key, burst.first_date, burst.last_date)
