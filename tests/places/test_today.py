""" "Today" is the date in Finland (`server.clock`): at 22:30 UTC it is already tomorrow in Helsinki, and the
rosters, the board, the monthly report, offers, queue entries and the free-places window follow Finland."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import server.clock
import server.sync.push
from server.clock import date_in_finland, today_in_finland
from server.queue.models import queue_entry_id
from tests.conftest import bearer, sign_in
from tests.day_activity.helpers import DA, da_client
from tests.places.helpers import STC, STC_CLIENTS, other_client, published, replica
from tests.places.test_mutations import outcome
from tests.queue.helpers import OULU


def late_evening() -> datetime:
    """22:30 UTC today (UTC): 00:30 or 01:30 tomorrow in Finland."""
    return datetime.combine(datetime.now(UTC).date(), time(22, 30), tzinfo=UTC)


def test_finnish_dates_across_midnight_and_daylight_saving():
    assert today_in_finland(datetime(2026, 11, 30, 21, 59, tzinfo=UTC)) == date(2026, 11, 30)
    assert today_in_finland(datetime(2026, 11, 30, 22, 0, tzinfo=UTC)) == date(2026, 12, 1)  # UTC+2
    assert today_in_finland(datetime(2026, 6, 30, 20, 59, tzinfo=UTC)) == date(2026, 6, 30)
    assert today_in_finland(datetime(2026, 6, 30, 21, 0, tzinfo=UTC)) == date(2026, 7, 1)  # UTC+3
    assert date_in_finland(datetime(2026, 3, 1, 23, 0)) == date(2026, 3, 2), "naive is UTC, as stored"
    assert date_in_finland(datetime.fromisoformat("2026-03-01T23:30:00+02:00")) == date(2026, 3, 1)


async def test_read_endpoints_default_to_the_finnish_date(client, monkeypatch):
    moment = late_evening()
    finnish = moment.date() + timedelta(days=1)
    monkeypatch.setattr(server.clock, "utc_now", lambda: moment)
    paiva = bearer((await sign_in(client, "paiva"))["access_token"])
    roster = await client.get(f"/api/day-activity/{DA}/roster", headers=paiva)
    assert roster.status_code == 200 and roster.json()["date"] == finnish.isoformat()
    report = await client.get(f"/api/day-activity/{DA}/attendance-days", headers=paiva)
    assert report.json()["month"] == finnish.strftime("%Y-%m")
    kotas = bearer((await sign_in(client, "kotas"))["access_token"])
    board = (await client.get("/api/places/board", headers=kotas)).json()
    assert {u["days"][0]["date"] for u in board} == {finnish.isoformat()}


async def test_mutations_use_the_finnish_date(client, monkeypatch):
    moment = late_evening()
    utc_today, finnish = moment.date(), moment.date() + timedelta(days=1)
    monkeypatch.setattr(server.sync.push, "utcnow", lambda: moment)
    kotas = await replica(client, "kotas")
    referral_id = str(uuid.uuid4())
    await kotas.mutate(
        "referral.create",
        {
            "referral_id": referral_id,
            "client_id": other_client(0),
            "service_kind": "short_term_care",
            "area_id": str(OULU),
            "urgency": "normal",
            "received_at": moment.isoformat(),
            "source": "counsellor",
        },
    )
    entry = str(queue_entry_id(referral_id))
    yesterday = await kotas.mutate(
        "placement.offer",
        {
            "offer_id": str(uuid.uuid4()),
            "queue_entry_id": entry,
            "unit_id": str(STC),
            "start_date": utc_today.isoformat(),
            "end_date": finnish.isoformat(),
        },
    )
    await kotas.mutate(
        "stay.book",
        {
            "stay_id": str(uuid.uuid4()),
            "client_id": STC_CLIENTS[0],
            "unit_id": str(STC),
            "start_date": (finnish + timedelta(days=20)).isoformat(),
            "end_date": (finnish + timedelta(days=20)).isoformat(),
        },
    )
    await kotas.sync()
    assert outcome(kotas, yesterday).code == "invalid_date", "the UTC date is yesterday in Finland"
    assert kotas.view.get("queue_entry", entry).data["entered_at"] == finnish.isoformat()
    window = published(kotas, STC)
    assert (finnish + timedelta(days=60)).isoformat() in window
    assert utc_today.isoformat() not in window, "yesterday's free places are dropped"


async def test_presence_is_recorded_up_to_the_finnish_today_and_an_absence_up_to_tomorrow(
    client, monkeypatch
):
    noon = datetime.combine(datetime.now(UTC).date(), time(10), tzinfo=UTC)
    for moment in (noon, late_evening()):  # the same day in Finland and UTC; already tomorrow in Finland
        today = date_in_finland(moment)
        monkeypatch.setattr(server.sync.push, "utcnow", lambda moment=moment: moment)
        paiva = await replica(client, "paiva")

        def attendance(name: str, day: date, **extra) -> Any:
            args = {"client_id": da_client(0), "unit_id": str(DA), "date": day.isoformat(), **extra}
            return paiva.mutate(f"attendance.{name}", args)

        at = moment.isoformat()
        present = await attendance("check_in", today, at=at)
        early = await attendance("check_in", today + timedelta(days=1), at=at)
        called_in = await attendance("mark_absent", today + timedelta(days=1), reason="ill")
        too_early = await attendance("mark_absent", today + timedelta(days=2), reason="ill")
        await paiva.sync()
        assert outcome(paiva, present) is None and outcome(paiva, called_in) is None, moment
        assert outcome(paiva, early).code == "invalid_date", moment
        assert outcome(paiva, early).details["latest"] == today.isoformat()
        assert outcome(paiva, too_early).code == "invalid_date", moment
