"""Jobs of places: moving the free-places window on every day.

Devices hold `free_places` for today and the next 60 days (`server.places.capacity`). Nothing else changes
at midnight, so without this job the window would stop moving: just after midnight (Finnish time), and at
the start of every worker in case the server was down then, every unit's window is republished under the
units' capacity locks (ascending id, like every places mutation). Idempotent: the change set skips
records whose data did not change, so a second run the same day writes nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from server.clock import today_in_finland
from server.db import begin_write
from server.jobs.registry import NIGHTLY_RETRY, Cron, job
from server.places.capacity import load_state, lock_all_units, publish_free_places
from server.sync.changes import ChangeSet


@job(
    "places.move_free_places_window",
    cron=Cron(hour=0, minute=5, at_startup=True),
    retry=NIGHTLY_RETRY,
    timeout=600,
)
async def move_free_places_window(session: AsyncSession, now: datetime) -> tuple[int, ChangeSet]:
    """Republish every unit's free places for [today, today+60]; returns how many units."""
    changes = ChangeSet()
    await begin_write(session)
    units = await lock_all_units(session)
    today = today_in_finland(now)
    for unit in sorted(units.values(), key=lambda u: u.code):
        publish_free_places(changes, await load_state(session, unit), today)
    await changes.flush(session)
    await session.commit()
    return len(units), changes
