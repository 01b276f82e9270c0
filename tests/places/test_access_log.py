"""Reads of client data through the places, queue and day-activity endpoints go to the access log, with who,
which client, what, and on what basis; the board shows no client data and logs nothing; and when the log
cannot be written, the read fails and returns nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

import server.access_log.service
from server.access_log.models import AccessLogEntry
from server.access_log.service import verify
from server.clock import today_in_finland
from server.demo import demo_id
from tests.conftest import bearer, sign_in
from tests.day_activity.helpers import DA, da_client
from tests.places.helpers import other_client, replica
from tests.queue.helpers import refer
from tests.sync.domain_helpers import fresh


async def entries(db, **where) -> list[AccessLogEntry]:
    await fresh(db)
    query = select(AccessLogEntry).filter_by(**where).order_by(AccessLogEntry.id)
    return list((await db.execute(query)).scalars())


async def test_roster_and_attendance_days_log_every_client_with_the_basis(client, db):
    paiva = await replica(client, "paiva")
    today = today_in_finland().isoformat()
    for n in (0, 1):
        await paiva.mutate(
            "attendance.check_in",
            {
                "client_id": da_client(n),
                "unit_id": str(DA),
                "date": today,
                "at": datetime.now(UTC).isoformat(),
            },
        )
    assert (await paiva.sync()).push.applied == 2

    staff = bearer((await sign_in(client, "paiva"))["access_token"])
    monday = "2026-11-30"
    roster = (
        await client.get(f"/api/day-activity/{DA}/roster", params={"date": monday}, headers=staff)
    ).json()
    logged = await entries(db, record_type="roster")
    assert roster["clients"] and sorted(str(e.client_id) for e in logged) == sorted(
        c["client_id"] for c in roster["clients"]
    )
    assert {(e.username, e.role, e.basis, e.operation) for e in logged} == {
        ("paiva", "unit_staff", f"service_relationship:unit:{DA}", "read")
    }
    assert {e.record_id for e in logged} == {f"{DA}:{monday}"}

    admin = bearer((await sign_in(client, "admin"))["access_token"])
    report = await client.get(f"/api/day-activity/{DA}/attendance-days", headers=admin)
    assert {c["client_id"] for c in report.json()["clients"]} >= {da_client(0), da_client(1)}
    billed = await entries(db, record_type="attendance_days")
    assert {str(e.client_id) for e in billed} == {c["client_id"] for c in report.json()["clients"]}
    assert {(e.username, e.role, e.basis) for e in billed} == {("admin", "admin", f"billing:unit:{DA}")}
    assert (await verify(db)).ok


async def test_the_board_has_no_client_data_and_logs_nothing(client, db):
    count = len(await entries(db))
    kotas = bearer((await sign_in(client, "kotas"))["access_token"])
    board = await client.get("/api/places/board", headers=kotas)
    assert board.status_code == 200
    assert str(demo_id("client", "oulu-stc-1:0")) not in board.text and "client" not in board.text
    assert len(await entries(db)) == count


@pytest.mark.parametrize(
    ("username", "path"),
    [
        ("paiva", f"/api/day-activity/{DA}/roster?date=2026-11-30"),
        ("paiva", f"/api/day-activity/{DA}/attendance-days?month=2026-11"),
        ("kotas", "/api/queue"),
    ],
)
async def test_a_failed_log_write_fails_the_read(client, db, monkeypatch, username, path):
    ohjaaja = await replica(client, "ohjaaja")
    await refer(ohjaaja, other_client(3))
    await ohjaaja.sync()
    paiva = await replica(client, "paiva")
    await paiva.mutate(
        "attendance.check_in",
        {
            "client_id": da_client(0),
            "unit_id": str(DA),
            "date": "2026-11-30",
            "at": "2026-11-30T08:00:00+02:00",
        },
    )
    await paiva.sync()
    token = bearer((await sign_in(client, username))["access_token"])
    assert (await client.get(path, headers=token)).status_code == 200, "it works while the log does"
    count = len(await entries(db))

    async def broken(*args, **kwargs):
        raise OSError("the access log's disk is full")

    monkeypatch.setattr(server.access_log.service, "record", broken)
    response = await client.get(path, headers=token)
    assert response.status_code == 500
    assert da_client(0) not in response.text and other_client(3) not in response.text
    monkeypatch.undo()
    assert len(await entries(db)) == count
