"""First sync of a day-activity unit: 40 clients and a year of attendance, from cookie null.

Setup (before the server starts, through the sync engine itself): the demo unit `oulu-da-1` gets clients
up to 40 (`Client` + `ClientUnit`, published with `publish_client`), and every client gets an attendance
record (checked in and out) for every weekday of the past year: `Attendance` rows plus
`ChangeSet.put("attendance", …)`, flushed once, exactly as the attendance mutations record them.
Then a reference client signed in as `paiva` pulls from cookie null until `has_more` is false; the time is
from the first pull request to the end of the last page (sign-in excluded), and within it the server's
own time (the sum of each page's `Server-Timing: app;dur=…`) and the HTTP round trips. Bytes are both
directions on the wire: bodies as sent (pages gzipped by the server: the client asks for it, as httpx does
by default) and headers.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bench.server import Workspace, bench_env
from bench.wire import TimingTransport, http_client, tablet

UNIT_CODE = "oulu-da-1"
CLIENTS = 40


async def populate(data_dir: Path, days: int) -> dict[str, Any]:
    from server import domains
    from server.accounts.scopes import unit_scope
    from server.clients.models import Client, ClientUnit
    from server.clients.sync import publish_client
    from server.day_activity.attendance import record_data
    from server.day_activity.models import Attendance
    from server.db import begin_write, create_engine
    from server.demo import demo_id
    from server.reference.models import Unit, reference_id
    from server.settings import Settings
    from server.sync.changes import ChangeSet
    from sync_protocol.policies import attendance_id

    domains.load()
    settings = Settings.from_env(bench_env(data_dir))
    engine = create_engine(settings)
    unit_id = reference_id("unit", UNIT_CODE)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            await begin_write(session)
            unit = await session.get(Unit, unit_id)
            assert unit is not None
            have = (
                await session.execute(
                    select(func.count()).select_from(ClientUnit).where(ClientUnit.unit_id == unit_id)
                )
            ).scalar_one()
            changes = ChangeSet()
            for n in range(have, CLIENTS):
                key = f"bench:{UNIT_CODE}:{n}"
                client = Client(
                    id=demo_id("client", key),
                    first_name="Bench",
                    last_name=f"Asiakas {n}",
                    birth_date=date(1940, 1, 1) + timedelta(days=97 * n),
                    municipality_id=unit.municipality_id,
                    phone=f"040 555 {1000 + n}",
                    address=None,
                )
                session.add(client)
                session.add(
                    ClientUnit(
                        id=demo_id("client_unit", key),
                        client_id=client.id,
                        unit_id=unit_id,
                        since=date(2025, 1, 1),
                    )
                )
                await session.flush()
                await publish_client(session, changes, client)
            client_ids = (
                (await session.execute(select(ClientUnit.client_id).where(ClientUnit.unit_id == unit_id)))
                .scalars()
                .all()
            )
            today, records = date.today(), 0
            for back in range(1, days + 1):
                day = today - timedelta(days=back)
                if day.weekday() >= 5:
                    continue
                for client_id in client_ids:
                    start = datetime.combine(day, datetime.min.time(), UTC)
                    row = Attendance(
                        id=attendance_id(client_id, unit_id, day),
                        client_id=client_id,
                        unit_id=unit_id,
                        date=day,
                        checked_in_at=start + timedelta(hours=6, minutes=(records * 7) % 60),
                        checked_out_at=start + timedelta(hours=13, minutes=(records * 11) % 60),
                        absent_reason=None,
                    )
                    session.add(row)
                    changes.put("attendance", row.id, record_data(row), [unit_scope(unit_id)])
                    records += 1
            await session.flush()
            await changes.flush(session)
            await session.commit()
    finally:
        await engine.dispose()
    return {"clients": len(client_ids), "attendance": records, "days": days}


async def _first_sync(base_url: str) -> dict[str, Any]:
    transport = TimingTransport()
    async with http_client(base_url, transport) as http:
        t = await tablet(http)
        transport.samples.clear()
        start = time.perf_counter()
        report = await t.pull()
        wall = time.perf_counter() - start
    if report.mismatched:
        raise RuntimeError(f"checksum mismatch after first sync: {report}")
    pulls = [s for s in transport.samples if s.path.endswith("/pull")]
    server_ms = [s.server_ms or 0.0 for s in pulls]
    return {
        "seconds": wall,
        "pages": report.pages,
        "ops": report.ops,
        "bytes_received": sum(s.received for s in pulls),
        "bytes_sent": sum(s.sent for s in pulls),
        "content_encodings": sorted({s.encoding or "identity" for s in pulls}),
        "server_s": sum(server_ms) / 1000,
        "server_page_ms": server_ms,
        "server_round_trip_s": sum(s.seconds for s in pulls),
        "client_side_s": wall - sum(s.seconds for s in pulls),
        "largest_page_bytes": max(s.received for s in pulls),
    }


def run(ws: Workspace, quick: bool) -> dict[str, Any]:
    from bench.server import ServerProcess

    days = 14 if quick else 365
    data_dir = ws.fresh_data_dir("first_sync")
    setup_start = time.perf_counter()
    data = asyncio.run(populate(data_dir, days))
    setup_s = time.perf_counter() - setup_start
    with ServerProcess(data_dir) as server:
        sync = asyncio.run(_first_sync(server.base_url))
    wire = sync["bytes_received"] + sync["bytes_sent"]
    mb = wire / 1_000_000
    time_met, size_met = sync["seconds"] <= 1.0, wire <= 2_000_000
    return {
        "name": "first_sync",
        "params": {"unit": UNIT_CODE, "setup_seconds": setup_s, **data},
        "sync": sync,
        "wire_bytes": wire,
        "targets": {"seconds <= 1": time_met, "wire <= 2 MB": size_met},
        "rows": [
            (
                "first_sync",
                f"time, {data['clients']} clients, {data['attendance']:,} attendance, {sync['pages']} pages",
                f"{sync['seconds']:.2f} s",
                f"server time {sync['server_s']:.2f} s, round trips {sync['server_round_trip_s']:.2f} s",
                "",
                "≤1 s",
                time_met,
            ),
            (
                "first_sync",
                f"bytes on the wire ({sync['ops']:,} ops)",
                f"{mb:.2f} MB",
                f"largest page {sync['largest_page_bytes'] / 1e3:.0f} kB"
                f" ({'/'.join(sync['content_encodings'])})",
                "",
                "≤2 MB",
                size_met,
            ),
        ],
    }
