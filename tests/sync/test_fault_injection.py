"""Nothing lost, nothing twice: seeded schedules of replicas over a network that misbehaves (QUALITY.md).

Each seed is one schedule: two or three replicas of the demo day-activity unit (user `paiva` on different
devices; in-memory and SQLite stores) record attendance while the network drops requests, drops
responses after the server committed, duplicates, reorders (two replicas interleaving), cuts answers
mid-body, the server restarts and devices die between commit and acknowledgement. After healing and
draining, every replica must equal the server for its scopes, every mutation must be recorded and applied
exactly once, no rejection may be invisible, and `last_seq` must count every mutation created.

All schedules of one test share one database (each schedule uses new devices and clients), so the
attendance merge check covers the events of every schedule so far.

CI: 200 schedules on SQLite, 20 on PostgreSQL. `--long`: 2,000 and 200.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import async_sessionmaker

from server.attendance.models import Attendance as AttendanceRow
from server.clients.models import ClientUnit
from server.contacts.models import Contact
from server.db import create_engine
from server.demo import DEMO_DAY_UNIT, demo_id
from server.reference.models import reference_id
from server.settings import Settings
from server.sync.models import RecordScope, SyncMutation, SyncRecord
from server.sync.models import SyncClient as SyncClientRow
from sync_protocol import PROTOCOL_VERSION, policies
from sync_protocol.client import SyncError, login
from sync_protocol.messages import PULL_PATH, PullRequest, PullResponse
from tests.sync.faults import FAULT_KINDS, ClientCrash, FaultyNetwork, Tablet

DAY_UNIT = str(reference_id("unit", DEMO_DAY_UNIT))
PAIVA = demo_id("user", "paiva")
OHJAAJA = demo_id("user", "ohjaaja")
OULU = str(reference_id("area", "oulu"))
CHANNELS = ("phone", "email", "chat", "home_visit")
CALLERS = ("client", "relative", "professional")
TOPICS = ("home_care", "housing_services", "day_activity", "short_term_care")
RESOLUTIONS = ("advice_given", "referred_elsewhere", "no_action_needed")
REASONS = ("ill", "hospital", "cancelled_by_relative", "no_show")
ARTIFACT = Path(__file__).resolve().parents[2] / "test-artifacts" / "fault-injection.txt"
HELSINKI = timezone(timedelta(hours=2))


class Totals:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def report(self, label: str, seconds: float) -> str:
        c = self.counts
        faults = ", ".join(f"{k}={c[k]}" for k in (*FAULT_KINDS, "reorder_timeout"))
        return (
            f"[{label}] schedules={c['schedules']} mutations={c['mutations']} "
            f"(applied={c['applied']} rejected={c['rejected']}) pushes={c['pushes']} pulls={c['pulls']} "
            f"contacts={c['contacts']} concurrent={c['concurrent']} requests={c['requests']} sync_errors={c['sync_errors']}\n"
            f"  faults: {faults}\n"
            f"  restarts: server={c['server_restart']} client={c['client_restart']} "
            f"(after commit, before ack={c['crash_after_commit']})\n"
            f"  time: {seconds:.1f}s\n"
        )


class World:
    """One database, one faulty network, the unit's clients, every attendance event ever created."""

    def __init__(self, settings: Settings, network: FaultyNetwork, tmp: Path, totals: Totals) -> None:
        self.settings, self.network, self.tmp, self.totals = settings, network, tmp, totals
        self.engine = create_engine(settings)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.unit_clients: list[str] = []
        self.events: dict[str, list[tuple[str, policies.Attendance, bool]]] = defaultdict(list)
        """attendance id -> [(mutation id, event, valid)]."""
        self.contacts: dict[str, str] = {}
        """contact.record mutation id -> contact id (every contact.record here is valid)."""
        self.has_contacts = False

    async def load(self) -> None:
        async with self.sessions() as s:
            rows = await s.execute(
                select(ClientUnit.client_id).where(ClientUnit.unit_id == uuid.UUID(DAY_UNIT))
            )
            self.unit_clients = sorted(str(r) for r in rows.scalars())
        assert len(self.unit_clients) >= 4
        from server.sync.mutations import catalog

        self.has_contacts = any(m["name"] == "contact.record" for m in catalog.describe()["mutations"])

    async def new_tablet(self, name: str, rng: random.Random, sqlite: bool, user: str = "paiva") -> Tablet:
        saved = self.network.rates
        self.network.rates = {}
        async with self.network.http() as http:
            credentials = await login(http, user, "demo", device_id=uuid.uuid4())
        self.network.rates = saved
        path = self.tmp / f"{name}-{uuid.uuid4().hex[:8]}.sqlite3" if sqlite else None
        tablet = Tablet(name, self.network, credentials, rng, sqlite_path=path)
        tablet.user = user
        return tablet


def _contact(rng: random.Random, clients: list[str]) -> dict[str, Any]:
    """A valid `contact.record` by the counsellor; about half name a client of the day unit."""
    return {
        "contact_id": str(uuid.uuid4()),
        "occurred_at": (datetime.now(HELSINKI) - timedelta(minutes=rng.randint(1, 600))).isoformat(),
        "channel": rng.choice(CHANNELS),
        "caller_type": rng.choice(CALLERS),
        "contact_type": rng.choice(("to_service", "from_service")),
        "topics": rng.sample(TOPICS, rng.randint(1, 2)),
        "resolution": rng.choice(RESOLUTIONS),
        "area_id": OULU,
        "client_id": rng.choice(clients) if rng.random() < 0.5 else None,
        "note": "fault-injection",
    }


def _event(rng: random.Random, today: date, clients: list[str]) -> tuple[str, dict[str, Any], bool]:
    """A random attendance mutation: (name, args, valid). About one in twelve is meant to be rejected."""
    client_id = rng.choice(clients)
    day = today - timedelta(days=rng.randint(0, 2))
    valid = True
    if rng.random() < 0.04:
        day, valid = today + timedelta(days=5), False  # invalid_date
    kind = rng.choice(("attendance.check_in", "attendance.check_out", "attendance.mark_absent"))
    args: dict[str, Any] = {"client_id": client_id, "unit_id": DAY_UNIT, "date": day.isoformat()}
    if kind == "attendance.mark_absent":
        if rng.random() < 0.08:
            args["reason"], valid = "not_a_reason", False  # invalid_code
        else:
            args["reason"] = rng.choice(REASONS)
    else:
        tz = rng.choice((UTC, HELSINKI))
        at = datetime(
            day.year, day.month, day.day, rng.randint(7, 16), rng.choice((0, 15, 30, 45)), tzinfo=tz
        )
        args["at"] = at.isoformat()
    return kind, args, valid


def _as_event(name: str, args: dict[str, Any]) -> policies.Attendance:
    if name == "attendance.check_in":
        return policies.Attendance(checked_in_at=datetime.fromisoformat(args["at"]))
    if name == "attendance.check_out":
        return policies.Attendance(checked_out_at=datetime.fromisoformat(args["at"]))
    return policies.Attendance(absent_reason=args["reason"])


async def _net(world: World, tablet: Tablet, action: str) -> None:
    """One network operation of one replica; errors the app would survive are counted, a crash restarts it."""
    c = world.totals.counts
    try:
        if action == "push":
            c["pushes"] += 1
            await tablet.client.push()
        elif action == "pull":
            c["pulls"] += 1
            await tablet.client.pull()
        else:
            c["pushes"] += 1
            c["pulls"] += 1
            await tablet.client.sync()
    except ClientCrash:
        tablet.restart()
        c["client_restart"] += 1
    except SyncError:
        c["sync_errors"] += 1


async def run_schedule(world: World, seed: int) -> None:
    rng = random.Random(seed)
    net, c = world.network, world.totals.counts
    net.rng = rng
    net.heal()
    today = datetime.now(UTC).date()
    # A few clients only, so replicas collide on the same attendance records.
    clients = rng.sample(world.unit_clients, 4)
    tablets = [
        await world.new_tablet("a", rng, sqlite=False),
        await world.new_tablet("b", rng, sqlite=True),
    ]
    if world.has_contacts and rng.random() < 0.5:
        tablets.append(await world.new_tablet("ohjaaja", rng, sqlite=rng.random() < 0.5, user="ohjaaja"))
    elif rng.random() < 0.4:
        tablets.append(await world.new_tablet("c", rng, sqlite=rng.random() < 0.5))
    try:
        for _ in range(rng.randint(6, 16)):
            roll = rng.random()
            tablet = rng.choice(tablets)
            if roll < 0.35 and tablet.user == "ohjaaja":
                for _ in range(rng.randint(1, 2)):
                    args = _contact(rng, clients)
                    await tablet.mutate("contact.record", args)
                    world.contacts[next(reversed(tablet.created))] = args["contact_id"]
                    c["mutations"] += 1
                    c["contacts"] += 1
            elif roll < 0.35:
                for _ in range(rng.randint(1, 4)):
                    name, args, valid = _event(rng, today, clients)
                    await tablet.mutate(name, args)
                    mutation_id = next(reversed(tablet.created))
                    record = str(policies.attendance_id(args["client_id"], DAY_UNIT, args["date"]))
                    world.events[record].append((mutation_id, _as_event(name, args), valid))
                    c["mutations"] += 1
            elif roll < 0.55:
                await _net(world, tablet, rng.choice(("push", "pull", "sync")))
            elif roll < 0.65 and len(tablets) > 1:
                # Two replicas at once; the first request may be held back behind the other's.
                first, second = rng.sample(tablets, 2)
                if rng.random() < 0.7:
                    net.force("reorder")
                c["concurrent"] += 1
                await asyncio.gather(
                    _net(world, first, rng.choice(("push", "sync"))),
                    _net(world, second, rng.choice(("push", "pull", "sync"))),
                )
            elif roll < 0.77:
                # (reorder needs a second request in flight: it is forced in the concurrent steps)
                kinds = rng.sample(
                    ("drop_request", "drop_response", "duplicate", "truncate"), rng.randint(1, 3)
                )
                net.set_faults(**{k: rng.uniform(0.05, 0.3) for k in kinds})
            elif roll < 0.82:
                net.heal()
            elif roll < 0.88:
                net.force(rng.choice(FAULT_KINDS))
            elif roll < 0.905:
                await net.restart_server()
                c["server_restart"] += 1
            elif roll < 0.96:
                tablet.restart()
                c["client_restart"] += 1
            else:
                # The device dies after the server committed its push, then maybe the server restarts too.
                net.force("crash_after_commit")
                await _net(world, tablet, "push")
                if rng.random() < 0.25:
                    await net.restart_server()
                    c["server_restart"] += 1
        await heal_and_drain(world, tablets)
        await check(world, tablets)
    finally:
        c["requests"] = net.requests
        for tablet in tablets:
            await tablet.aclose()
    c["schedules"] += 1


async def heal_and_drain(world: World, tablets: list[Tablet]) -> None:
    world.network.heal()
    for _ in range(4):
        for tablet in tablets:
            await tablet.client.sync()
        if all(not t.store.outbox() for t in tablets):
            break
    for tablet in tablets:
        report = await tablet.client.pull()  # everyone sees everyone's last pushes
        assert not tablet.store.outbox(), f"{tablet.name}: outbox not drained: {tablet.store.outbox()}"
        assert report.mismatched == [], f"{tablet.name}: checksums still differ: {report.mismatched}"
        assert tablet.store.state().complete


async def check(world: World, tablets: list[Tablet]) -> None:
    c = world.totals.counts
    async with world.sessions() as s:
        for tablet in tablets:
            state = tablet.store.state()
            page: PullResponse = await tablet.client.transport.post(
                PULL_PATH,
                PullRequest(
                    protocol=PROTOCOL_VERSION,
                    client_id=state.client_id,
                    cookie=state.cookie,
                    schema_version=1,
                ),
                PullResponse,
            )
            assert not page.has_more and page.ops == [], f"{tablet.name}: replica behind after draining"
            scopes = set(page.scopes)
            if tablet.user == "ohjaaja":
                assert scopes == {"ref", f"user:{OHJAAJA}", f"area:{OULU}"}
            else:
                assert scopes == {"ref", f"user:{PAIVA}", f"unit:{DAY_UNIT}"}
            # The client's checksums are the server's for every scope.
            local = tablet.store.scope_checksums()
            for scope, summary in page.scopes.items():
                mine = local.get(scope)
                assert (mine.count if mine else 0, mine.hex if mine else "0" * 16) == (
                    summary.count,
                    summary.checksum,
                ), f"{tablet.name}: {scope}"
            # The replica's records are exactly the server's records in those scopes.
            members = select(RecordScope.record_type, RecordScope.record_id).where(
                RecordScope.scope.in_(scopes)
            )
            rows = (
                await s.execute(
                    select(SyncRecord).where(
                        tuple_(SyncRecord.record_type, SyncRecord.record_id).in_(members)
                    )
                )
            ).scalars()
            server = {
                (r.record_type, r.record_id): (r.version, tuple(sorted(set(r.scopes) & scopes)), r.data)
                for r in rows
            }
            replica = {(r.type, r.id): (r.version, tuple(r.scopes), r.data) for r in tablet.store.records()}
            assert replica.keys() == server.keys(), (
                f"{tablet.name}: missing {sorted(server.keys() - replica.keys())[:5]}, "
                f"extra {sorted(replica.keys() - server.keys())[:5]}"
            )
            differing = [k for k in server if server[k] != replica[k]]
            assert not differing, (
                f"{tablet.name}: {differing[:3]} {[(server[k], replica[k]) for k in differing[:1]]}"
            )

            # Every mutation created is recorded exactly once, and last_seq counts them all.
            client_id = tablet.client.client_id
            recorded = (
                await s.execute(
                    select(SyncMutation.id, func.count())
                    .where(SyncMutation.client_id == client_id)
                    .group_by(SyncMutation.id)
                )
            ).all()
            per_id = {str(i): n for i, n in recorded}
            assert per_id.keys() == tablet.created.keys(), f"{tablet.name}: recorded != created"
            assert set(per_id.values()) <= {1}
            row = await s.get(SyncClientRow, client_id)
            assert (row.last_seq if row else 0) == len(tablet.created)
            # No rejection is invisible.
            not_applied = (
                await s.execute(
                    select(SyncMutation.id, SyncMutation.status, SyncMutation.code).where(
                        SyncMutation.client_id == client_id, SyncMutation.status != "applied"
                    )
                )
            ).all()
            held = {str(o.id) for o in tablet.client.outcomes()}
            missing = [(str(i), st, code) for i, st, code in not_applied if str(i) not in held]
            assert not missing, f"{tablet.name}: rejections the user never saw: {missing}"

        # Attendance: one record per (client, unit, date), equal to the merge of every applied event.
        statuses = {
            str(i): st
            for i, st in (
                await s.execute(
                    select(SyncMutation.id, SyncMutation.status).where(
                        SyncMutation.name.like("attendance.%"), SyncMutation.user_id == PAIVA
                    )
                )
            ).all()
        }
        for record_id, events in world.events.items():
            applied = []
            for mutation_id, event, valid in events:
                status = statuses.get(mutation_id)
                assert status == ("applied" if valid else "rejected"), (mutation_id, status, valid, event)
                if status == "applied":
                    applied.append(event)
            stored = await s.get(SyncRecord, ("attendance", record_id))
            rows = (
                await s.execute(select(AttendanceRow).where(AttendanceRow.id == uuid.UUID(record_id)))
            ).all()
            if not applied:
                assert stored is None and not rows
                continue
            assert stored is not None and len(rows) == 1, record_id
            expected = policies.merge_attendance(*applied)
            got = policies.Attendance.from_data(stored.data)
            assert (got.checked_in_at, got.checked_out_at, got.absent_reason) == (
                expected.checked_in_at,
                expected.checked_out_at,
                expected.absent_reason,
            ), record_id
        # Contacts: every contact.record applied once, one row each (append-only).
        contact_status = {
            str(i): st
            for i, st in (
                await s.execute(
                    select(SyncMutation.id, SyncMutation.status).where(SyncMutation.name == "contact.record")
                )
            ).all()
        }
        for mutation_id, contact_id in world.contacts.items():
            assert contact_status.get(mutation_id) == "applied", (
                mutation_id,
                contact_status.get(mutation_id),
            )
            rows = (await s.execute(select(Contact.id).where(Contact.id == uuid.UUID(contact_id)))).all()
            assert len(rows) == 1, contact_id
            assert await s.get(SyncRecord, ("contact", contact_id)) is not None
        c["applied"] = sum(1 for v in statuses.values() if v == "applied")
        c["rejected"] = sum(1 for v in statuses.values() if v != "applied")
        duplicates = (
            await s.execute(
                select(AttendanceRow.client_id, AttendanceRow.unit_id, AttendanceRow.date)
                .group_by(AttendanceRow.client_id, AttendanceRow.unit_id, AttendanceRow.date)
                .having(func.count() > 1)
            )
        ).all()
        assert not duplicates


async def test_fault_schedules(demo: Settings, backend: str, long_run: bool, tmp_path: Path) -> None:
    schedules = (2000 if long_run else 200) if backend == "sqlite" else (200 if long_run else 20)
    schedules = int(os.environ.get("KAARI_FAULT_SCHEDULES", schedules))
    totals = Totals()
    started = time.monotonic()
    network = FaultyNetwork(demo, random.Random(0))
    await network.start()
    world = World(demo, network, tmp_path, totals)
    if True:
        try:
            await world.load()
            for seed in range(schedules):
                try:
                    await run_schedule(world, seed)
                except BaseException as exc:
                    exc.add_note(
                        f"schedule seed {seed} ({backend}); reproduce with run_schedule(world, {seed})"
                    )
                    raise
        finally:
            totals.counts["server_restart"] = network.counts["server_restart"]
            for kind in (*FAULT_KINDS, "reorder_timeout"):
                totals.counts[kind] = network.counts[kind]
            text = totals.report(f"{backend}{' --long' if long_run else ''}", time.monotonic() - started)
            print("\n" + text)
            ARTIFACT.parent.mkdir(exist_ok=True)
            with ARTIFACT.open("a") as out:
                out.write(f"{datetime.now(UTC).isoformat(timespec='seconds')} {text}")
            await world.engine.dispose()
            await network.stop()
    assert totals.counts["schedules"] == schedules
