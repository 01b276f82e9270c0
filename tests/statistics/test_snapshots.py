"""Nightly statistics snapshots: run twice, they equal the live reports and the reports read them; a contact
uploaded late for a closed month marks that month, which is computed live until the next night's run."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import case, select, update

from server.clock import today_in_finland
from server.contacts.models import Contact, ContactTopic
from server.db import utcnow
from server.events.models import Event
from server.months import parse_month
from server.statistics import snapshots
from server.statistics.marks import window
from server.statistics.models import StatisticsSnapshot
from tests.contacts.helpers import generate
from tests.sync.domain_helpers import contact_args, fresh, push_one, replica

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])


async def run_job(db) -> dict:
    result, _ = await snapshots.snapshot_months(db, utcnow())
    await db.commit()  # as the job runner does
    return result


async def generations(db, month: str) -> dict[str, int]:
    query = select(StatisticsSnapshot.report, StatisticsSnapshot.generation).where(
        StatisticsSnapshot.month == month
    )
    return dict((await db.execute(query)).all())


def unused(*_):
    raise AssertionError("a current snapshot was computed live")


async def test_snapshots_equal_live_reports_until_a_late_change(client, db, monkeypatch):
    *_, older, last = window(today_in_finland())
    await generate(db, seed=3, contacts=300, events=30)
    for table in (Contact, ContactTopic, Event):  # the generated Nov-Dec 2026 become the last closed months
        moved = case((table.month == "2026-11", older), else_=last)
        await db.execute(update(table).values(month=moved))
    await db.commit()
    span = (parse_month(older), parse_month(last))
    live = {name: await spec.live(db, *span) for name, spec in snapshots.REPORTS.items()}
    assert any(r.contacts for r in live["guidance.contacts"] if r.month == last)

    first, second = await run_job(db), await run_job(db)
    assert {first[name] for name in snapshots.REPORTS} == {24} and first["dropped"] == 0
    assert {second[name] for name in snapshots.REPORTS} == {0}
    for name, spec in snapshots.REPORTS.items():
        monkeypatch.setitem(snapshots.REPORTS, name, dataclasses.replace(spec, live=unused))
        assert await snapshots.report(name)(db, *span) == live[name], name
        monkeypatch.setitem(snapshots.REPORTS, name, spec)

    before = await generations(db, last)
    laptop = await replica(client, "ohjaaja")  # recorded offline last month, uploaded today
    late = contact_args(occurred_at=f"{last}-15T10:00:00+02:00")
    assert await push_one(laptop, "contact.record", late) is None
    after = await generations(await fresh(db), last)
    assert sorted(r for r in after if after[r] != before[r]) == [
        "guidance.contacts",
        "guidance.first_contact",
    ]
    contacts = snapshots.report("guidance.contacts")
    now = await contacts(db, *span)
    assert now == await snapshots.REPORTS["guidance.contacts"].live(db, *span) != live["guidance.contacts"]

    first, second = await run_job(db), await run_job(db)
    assert first == {
        **dict.fromkeys(snapshots.REPORTS, 0),
        "guidance.contacts": 1,
        "guidance.first_contact": 1,
        "dropped": 0,
    }
    assert second == {**dict.fromkeys(snapshots.REPORTS, 0), "dropped": 0}
    assert await contacts(db, *span) == now
