"""audit.viewed: offline views land in the access log, with the device's (clamped) time and a basis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from server.access_log.models import AccessLogEntry
from server.access_log.service import verify
from server.clock import FINLAND
from server.sync.models import Replica as ReplicaRow
from tests.sync.domain_helpers import DAY_CLIENT, DAY_UNIT, STC_CLIENT, fresh, push_one, replica


async def test_offline_views_are_logged_and_the_chain_verifies(client, db):
    tablet = await replica(client, "paiva")
    await tablet.pull()
    await push_one(tablet, "client.update", {"client_id": DAY_CLIENT, "changes": {"phone": "040 1"}})
    now = datetime.now(UTC)
    entries = [
        {"client_id": DAY_CLIENT, "at": now.isoformat(), "view": "roster"},
        {"client_id": DAY_CLIENT, "at": (now - timedelta(days=400)).isoformat(), "view": "client"},
        {"client_id": STC_CLIENT, "at": (now + timedelta(days=2)).isoformat(), "view": "client"},
        # As a tablet in Finland writes it: the same instant, with its offset; the chain must still verify.
        {
            "client_id": DAY_CLIENT,
            "at": now.astimezone(FINLAND).isoformat(),
            "view": "roster",
        },
    ]
    assert await push_one(tablet, "audit.viewed", {"entries": entries}) is None

    db = await fresh(db)
    registered = (
        await db.execute(select(ReplicaRow.created_at).where(ReplicaRow.id == tablet.client_id))
    ).scalar_one()
    views = (
        (
            await db.execute(
                select(AccessLogEntry)
                .where(AccessLogEntry.operation == "view_offline")
                .order_by(AccessLogEntry.id)
            )
        )
        .scalars()
        .all()
    )
    assert [(str(v.client_id), v.record_type, v.role) for v in views] == [
        (DAY_CLIENT, "roster", "unit_staff"),
        (DAY_CLIENT, "client", "unit_staff"),
        (STC_CLIENT, "client", "unit_staff"),
        (DAY_CLIENT, "roster", "unit_staff"),
    ]
    assert views[0].basis == f"service_relationship:unit:{DAY_UNIT}"
    assert views[0].at == now, "the device's time, when it lies between registration and receipt"
    assert views[1].at == registered, "before the replica existed: clamped to its registration"
    assert views[2].basis == "none", "a view without a basis is logged, not refused"
    assert views[2].at <= datetime.now(UTC), "in the future: clamped to the server's time"
    report = await verify(db)
    assert views[3].at == now
    # The four views, the duplicate kept, and the client records the tablet's pulls downloaded.
    downloads = await db.scalar(
        select(func.count()).select_from(AccessLogEntry).where(AccessLogEntry.operation == "sync_download")
    )
    assert report.ok and report.entries == 5 + downloads


async def test_too_many_entries_are_refused(client):
    tablet = await replica(client, "paiva")
    at = datetime.now(UTC).isoformat()
    entries = [{"client_id": DAY_CLIENT, "at": at, "view": "roster"}] * 501
    outcome = await push_one(tablet, "audit.viewed", {"entries": entries})
    assert outcome.code == "invalid_args"
