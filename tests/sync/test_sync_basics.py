"""Push and pull end to end with the reference client against the real app."""

from __future__ import annotations

from datetime import UTC, datetime

from server.clock import today_in_finland
from server.demo import DEMO_DAY_UNIT
from server.reference.models import reference_id
from sync_protocol.client import MemoryStore, Replica, login

DAY_UNIT = str(reference_id("unit", DEMO_DAY_UNIT))


async def replica(client, username: str) -> Replica:
    credentials = await login(client, username, "demo")
    return Replica(MemoryStore(), credentials, http=client)


async def test_first_sync_then_check_in_round_trip(client):
    tablet = await replica(client, "paiva")
    report = await tablet.pull()
    assert report.mismatched == []
    clients = [r for r in tablet.view.records("client")]
    assert clients, "the unit's clients arrive in the first sync"
    for record_type in ("area", "municipality", "unit", "code_list", "client"):
        assert tablet.view.records(record_type), record_type

    today = today_in_finland().isoformat()
    for record in clients[:3]:
        await tablet.mutate(
            "attendance.check_in",
            {"client_id": record.id, "unit_id": DAY_UNIT, "date": today, "at": datetime.now(UTC).isoformat()},
        )
    result = await tablet.sync()
    assert result.pull.mismatched == []
    attendance = list(tablet.view.records("attendance"))
    assert len(attendance) == 3 and all(not a.pending for a in attendance)
