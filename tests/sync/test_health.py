"""The admin's sync-health view, the X-Client-Time header, and the Prometheus sync metrics."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.clock import today_in_finland
from server.demo import DEMO_DAY_UNIT, DEMO_SHORT_TERM_UNIT
from server.reference.models import reference_id
from sync_protocol.client import MemoryStore, Replica, login
from tests.conftest import bearer, sign_in

DAY_UNIT = str(reference_id("unit", DEMO_DAY_UNIT))
OTHER_UNIT = str(reference_id("unit", DEMO_SHORT_TERM_UNIT))
HEALTH = "/api/admin/sync-health"
HISTORY = "/api/admin/sync-health/history"


async def replica(client, username: str = "paiva") -> Replica:
    return Replica(MemoryStore(), await login(client, username, "demo"), http=client, app_build="2026.11.2")


def check_in(client_id: str, unit_id: str = DAY_UNIT) -> dict:
    return {
        "client_id": client_id,
        "unit_id": unit_id,
        "date": today_in_finland().isoformat(),
        "at": datetime.now(UTC),
    }


async def health_of(client, tablet: Replica) -> tuple[dict, dict]:
    admin = await sign_in(client, "admin")
    response = await client.get(HEALTH, headers=bearer(admin["access_token"]))
    assert response.status_code == 200, response.text
    for device in response.json()["devices"]:
        for replica_ in device["clients"]:
            if replica_["client_id"] == str(tablet.client_id):
                return device, replica_
    raise AssertionError("the replica is not in the sync-health view")


async def test_admin_sees_figures_after_push_and_pull(client):
    tablet = await replica(client)
    await tablet.pull()
    clients = tablet.view.records("client")
    await tablet.mutate("attendance.check_in", check_in(clients[0].id))
    await tablet.mutate("attendance.check_in", check_in(clients[1].id))
    await tablet.mutate("attendance.check_in", check_in(clients[2].id, OTHER_UNIT))  # not this user's unit
    report = await tablet.sync()
    assert (report.push.applied, report.push.rejected) == (2, 1)

    device, figures = await health_of(client, tablet)
    assert device["kind"] == "personal" and device["revoked"] is False
    assert figures["user"]["username"] == "paiva"
    assert figures["last_push_at"] and figures["last_pull_at"]
    assert (figures["applied"], figures["rejected"], figures["conflicts"]) == (2, 1, 0)
    assert figures["rejected_last_day"] == 1
    assert figures["app_build"] == "2026.11.2"
    assert figures["reported"]["outbox_depth"] == 0
    assert "storage_used" in figures["reported"]
    assert figures["checksum_mismatches"] == 0
    # The reference client sends X-Client-Time; this machine's clock is the server's.
    assert figures["clock_skew_ms"] is not None and abs(figures["clock_skew_ms"]) < 60_000
    assert figures["flags"] == {"stale": False, "growing_outbox": False, "errors": True, "old_build": False}
    assert device["flags"] == ["errors"]


async def test_big_outbox_and_old_build_are_flagged(client):
    newer = await replica(client)
    newer.app_build = "2026.11.10"
    await newer.pull()
    tablet = await replica(client)  # 2026.11.2 < 2026.11.10
    await tablet.pull()
    target = tablet.view.records("client")[0].id
    for _ in range(55):
        await tablet.mutate("attendance.check_in", check_in(target))
    await tablet.pull()  # reports its outbox; does not push it

    device, figures = await health_of(client, tablet)
    assert figures["reported"]["outbox_depth"] == 55
    assert figures["flags"]["growing_outbox"] is True
    assert figures["flags"]["old_build"] is True
    assert figures["flags"]["stale"] is False  # it pulled just now
    assert {"growing_outbox", "old_build"} <= set(device["flags"])
    _, newest = await health_of(client, newer)
    assert newest["flags"] == {"stale": False, "growing_outbox": False, "errors": False, "old_build": False}


@pytest.mark.parametrize("backend", ["sqlite"])  # no database-specific code here
async def test_sync_health_is_for_admins_only(client):
    for path in (HEALTH, HISTORY):
        for username in ("paiva", "kotas"):
            user = await sign_in(client, username)
            response = await client.get(path, headers=bearer(user["access_token"]))
            assert response.status_code == 403, (path, username)
            assert response.json()["code"] == "forbidden"
        assert (await client.get(path)).status_code == 401


async def test_activity_counts_this_hours_outcomes_and_devices(client):
    admin = bearer((await sign_in(client, "admin"))["access_token"])
    before = (await client.get(HISTORY, headers=admin, params={"hours": 3})).json()["hours"]
    tablet, other = await replica(client), await replica(client, "hoiva")
    await tablet.pull()
    await other.pull()
    clients = tablet.view.records("client")
    await tablet.mutate("attendance.check_in", check_in(clients[0].id))
    await tablet.mutate("attendance.check_in", check_in(clients[1].id))
    await tablet.mutate("attendance.check_in", check_in(clients[2].id, OTHER_UNIT))  # rejected
    await tablet.sync()
    await other.mutate("attendance.check_in", check_in(clients[0].id))  # not hoiva's unit: rejected
    await other.sync()

    answer = await client.get(HISTORY, headers=admin, params={"hours": 3})
    assert answer.status_code == 200, answer.text
    hours = answer.json()["hours"]
    assert len(hours) == 3  # every hour of the window, oldest first, this hour last
    assert [h["hour"] for h in hours] == sorted(h["hour"] for h in hours)
    assert hours[-1]["hour"][14:19] == "00:00"
    now, then = hours[-1], before[-1]
    if now["hour"] == then["hour"]:  # the clock did not pass the hour between the two calls
        assert now["applied"] - then["applied"] == 2
        assert now["rejected"] - then["rejected"] == 2
        assert now["devices"] - then["devices"] == 2
    assert now["applied"] >= 2 and now["rejected"] >= 2 and now["devices"] >= 2


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_activity_window_is_one_hour_to_a_week(client):
    admin = bearer((await sign_in(client, "admin"))["access_token"])
    week = await client.get(HISTORY, headers=admin, params={"hours": 168})
    assert week.status_code == 200 and len(week.json()["hours"]) == 168
    for hours in (0, 169):
        refused = await client.get(HISTORY, headers=admin, params={"hours": hours})
        assert refused.status_code == 400, hours


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_metrics_count_mutations_by_name_and_status(client):
    tablet = await replica(client)
    await tablet.pull()
    await tablet.mutate("attendance.check_in", check_in(tablet.view.records("client")[0].id))
    await tablet.mutate("attendance.check_in", check_in(tablet.view.records("client")[1].id, OTHER_UNIT))
    await tablet.sync()
    text = (await client.get("/metrics")).text
    assert 'kaari_sync_mutations_total{name="attendance.check_in",status="applied"}' in text
    assert 'kaari_sync_mutations_total{name="attendance.check_in",status="rejected"}' in text
    for family in (
        "kaari_sync_push_seconds_bucket",
        "kaari_sync_pull_seconds_bucket",
        "kaari_sync_pull_response_bytes_bucket",
        "kaari_sync_pull_response_ops_bucket",
        "kaari_sync_pokes_total",
    ):
        assert family in text, family
