"""Jobs of places: moving the free-places window on every day, and checking it against a full recompute.

Devices hold `free_places` for today and the next 60 days (`server.places.capacity`). Nothing else changes
at midnight, so without this job the window would stop moving: just after midnight (Finnish time), and at
the start of every worker in case the server was down then, every unit's window is republished under the
units' capacity locks (ascending id, like every places mutation). Idempotent: the change set skips
records whose data did not change, so a second run the same day writes nothing.

The same run is the nightly check of the incremental upkeep: every mutation that changes a unit's places
republishes its free places in its own transaction, and this full recompute should find every published
record as it is. A record that differs (or a day missing inside the window already published) is logged
as a structured warning (`free_places drift`: unit, date, published and recomputed figures), repaired by
the republication, and counted: the run's result `repaired`, and `kaari_places_free_places_repaired` on
`/metrics` (the last run's count). Anything but 0 means some write path forgot to republish.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from prometheus_client import Gauge
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.clock import today_in_finland
from server.db import begin_write
from server.jobs.models import OutboxRow
from server.jobs.registry import NIGHTLY_RETRY, Cron, job
from server.places.capacity import (
    day_places,
    free_places_data,
    free_places_id,
    horizon,
    load_state,
    lock_all_units,
    publish_free_places,
)
from server.reference.models import Unit
from server.sync.changes import ChangeSet
from server.sync.models import SyncRecord

log = logging.getLogger("kaari.places")
WINDOW_JOB = "places.move_free_places_window"
FREE_PLACES_REPAIRED = Gauge(
    "kaari_places_free_places_repaired",
    "free_places records the last nightly recompute found different from the published ones, and repaired.",
)


async def published(session: AsyncSession, unit: Unit, days: list[date]) -> dict[date, dict[str, Any]]:
    """The unit's `free_places` records as devices hold them, by date."""
    ids = {str(free_places_id(unit.id, d)): d for d in days}
    rows = await session.execute(
        select(SyncRecord.record_id, SyncRecord.data).where(
            SyncRecord.record_type == "free_places", SyncRecord.record_id.in_(list(ids))
        )
    )
    return {ids[record_id]: data for record_id, data in rows}


def drift(
    unit: Unit, days: list[date], held: dict[date, dict[str, Any]], computed: dict[date, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The days whose published record differs from the recompute. A day after the last published one is
    new to the window (it moved on), not drift."""
    last = max(held, default=None)
    found = []
    for day in days:
        if day in held and held[day] != computed[day]:
            found.append({"date": day.isoformat(), "published": held[day], "computed": computed[day]})
        elif day not in held and last is not None and day < last:
            found.append({"date": day.isoformat(), "published": None, "computed": computed[day]})
    return found


@job(WINDOW_JOB, cron=Cron(hour=0, minute=5, at_startup=True), retry=NIGHTLY_RETRY, timeout=600)
async def move_free_places_window(session: AsyncSession, now: datetime) -> tuple[dict[str, int], ChangeSet]:
    """Recompute every unit's free places for [today, today+60], log and count what the incremental upkeep
    got wrong, and republish; returns how many units and how many records were repaired."""
    changes = ChangeSet()
    await begin_write(session)
    units = await lock_all_units(session)
    today = today_in_finland(now)
    days = horizon(today)
    repaired = 0
    for unit in sorted(units.values(), key=lambda u: u.code):
        state = await load_state(session, unit)
        computed = {d: free_places_data(unit.id, d, p) for d, p in day_places(state, days).items()}
        for found in drift(unit, days, await published(session, unit, days), computed):
            repaired += 1
            log.warning("free_places drift", extra={"unit_id": str(unit.id), "unit": unit.code, **found})
        publish_free_places(changes, state, today)
    await changes.flush(session)  # the runner commits, with the row marked done
    return {"units": len(units), "repaired": repaired}, changes


async def observe_repaired(session: AsyncSession) -> None:
    """Set the gauge from the last finished window run (read at each scrape: any process may have run it)."""
    result = await session.scalar(
        select(OutboxRow.result)
        .where(OutboxRow.job == WINDOW_JOB, OutboxRow.status == "done")
        .order_by(OutboxRow.finished_at.desc(), OutboxRow.id.desc())
        .limit(1)
    )
    FREE_PLACES_REPAIRED.set(int(result.get("repaired", 0)) if isinstance(result, dict) else 0)
