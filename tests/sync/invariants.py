"""The world and the invariants of the "nothing lost, nothing twice" fault-injection suite (QUALITY.md).

:class:`World` is one database and one :class:`~tests.sync.faults.FaultyNetwork` shared by every schedule
of a test; :class:`Schedule` is what one schedule (one Hypothesis example) created: its replicas, its
mutations and the server's attendance records before it touched them. The checks compare only that:

- :func:`check_always` (cheap, after every step): the server never records more mutations than a replica
  created (``last_seq`` included), never records one twice, and holds one attendance row per
  (client, unit, date);
- :func:`heal_and_drain` then :func:`check_converged` (at the end): every replica equals the server for its
  scopes (checksums and records), every mutation is recorded and applied exactly once, ``last_seq`` counts
  them all, no rejection is invisible, attendance equals the merge of the applied events over what was
  there before, and every contact is stored once.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import async_sessionmaker

from server.clients.models import ClientUnit
from server.contacts.models import Contact
from server.day_activity.models import Attendance as AttendanceRow
from server.db import create_engine
from server.demo import DEMO_DAY_UNIT, demo_id
from server.reference.models import reference_id
from server.settings import Settings
from server.sync.models import RecordScope, SyncMutation, SyncRecord
from server.sync.models import Replica as ReplicaRow
from sync_protocol import PROTOCOL_VERSION, policies
from sync_protocol.client import Credentials, SyncError, login
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
ATTENDANCE_KINDS = ("attendance.check_in", "attendance.check_out", "attendance.mark_absent")
HELSINKI = timezone(timedelta(hours=2))
ARTIFACT = Path(__file__).resolve().parents[2] / "test-artifacts" / "fault-injection.txt"
SIGN_IN_MAX_AGE = 600.0
"""Seconds a cached sign-in is reused (access tokens live 15 minutes)."""


class Totals:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def report(self, label: str, seconds: float) -> str:
        c = self.counts
        faults = ", ".join(f"{k}={c[k]}" for k in (*FAULT_KINDS, "reorder_timeout"))
        return (
            f"[{label}] examples={c['schedules']} steps={c['steps']} mutations={c['mutations']} "
            f"(applied={c['applied']} rejected={c['rejected']}) pushes={c['pushes']} pulls={c['pulls']} "
            f"contacts={c['contacts']} concurrent={c['concurrent']} requests={c['requests']} "
            f"sync_errors={c['sync_errors']}\n"
            f"  faults: {faults}\n"
            f"  restarts: server={c['server_restart']} client={c['client_restart']} "
            f"(after commit, before ack={c['crash_after_commit']})\n"
            f"  time: {seconds:.1f}s\n"
        )

    def append_artifact(self, text: str) -> None:
        ARTIFACT.parent.mkdir(exist_ok=True)
        with ARTIFACT.open("a") as out:
            out.write(f"{datetime.now(UTC).isoformat(timespec='seconds')} {text}")


class World:
    """One database, one faulty network and the unit's clients, shared by every schedule of a test."""

    def __init__(self, settings: Settings, network: FaultyNetwork, tmp: Path, totals: Totals) -> None:
        self.settings, self.network, self.tmp, self.totals = settings, network, tmp, totals
        self.engine = create_engine(settings)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.unit_clients: list[str] = []
        self.has_contacts = False
        self._sign_ins: dict[str, tuple[float, Credentials]] = {}

    async def load(self) -> None:
        async with self.sessions() as s:
            rows = await s.execute(
                select(ClientUnit.client_id).where(ClientUnit.unit_id == uuid.UUID(DAY_UNIT))
            )
            self.unit_clients = sorted(str(r) for r in rows.scalars())
        assert len(self.unit_clients) >= 4
        from server.sync.mutations import catalog

        self.has_contacts = any(m["name"] == "contact.record" for m in catalog.describe()["mutations"])

    async def sign_in(self, slot: str, user: str) -> Credentials:
        """One device per slot, signed in once and reused by later schedules (each has new clients)."""
        cached = self._sign_ins.get(slot)
        if cached is not None and time.monotonic() - cached[0] < SIGN_IN_MAX_AGE:
            return cached[1]
        saved, forced = self.network.rates, self.network.forced
        self.network.rates, self.network.forced = {}, []
        try:
            async with self.network.http() as http:
                credentials = await login(http, user, "demo", device_id=uuid.uuid4())
        finally:
            self.network.rates, self.network.forced = saved, forced
        self._sign_ins[slot] = (time.monotonic(), credentials)
        return credentials

    async def new_tablet(self, name: str, rng: Any, sqlite: bool, user: str = "paiva") -> Tablet:
        credentials = await self.sign_in(name, user)
        path = self.tmp / f"{name}-{uuid.uuid4().hex[:8]}.sqlite3" if sqlite else None
        tablet = Tablet(name, self.network, credentials, rng, sqlite_path=path)
        tablet.user = user
        return tablet

    async def close(self) -> None:
        await self.engine.dispose()


@dataclass
class Schedule:
    """What one schedule created, so that its checks look at nothing else in the shared database."""

    tablets: list[Tablet]
    clients: list[str]
    today: date
    events: dict[str, list[tuple[str, policies.Attendance, bool]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    """attendance id -> [(mutation id, event, valid)]."""
    before: dict[str, policies.Attendance] = field(default_factory=dict)
    """attendance id -> the server's record before this schedule (none: no record)."""
    contacts: dict[str, str] = field(default_factory=dict)
    """contact.record mutation id -> contact id (every contact.record here is valid)."""

    def record_ids(self) -> list[str]:
        return [
            str(policies.attendance_id(c, DAY_UNIT, (self.today - timedelta(days=d)).isoformat()))
            for c in self.clients
            for d in range(3)
        ]

    async def snapshot(self, world: World) -> None:
        """The server's attendance records this schedule may touch, before it does (merges are associative)."""
        async with world.sessions() as s:
            rows = (
                await s.execute(
                    select(SyncRecord).where(
                        SyncRecord.record_type == "attendance",
                        SyncRecord.record_id.in_(self.record_ids()),
                    )
                )
            ).scalars()
            self.before = {r.record_id: policies.Attendance.from_data(r.data) for r in rows}

    def add_attendance(self, tablet: Tablet, name: str, args: dict[str, Any], valid: bool) -> None:
        mutation_id = next(reversed(tablet.created))
        record = str(policies.attendance_id(args["client_id"], DAY_UNIT, args["date"]))
        self.events[record].append((mutation_id, as_event(name, args), valid))

    def add_contact(self, tablet: Tablet, args: dict[str, Any]) -> None:
        self.contacts[next(reversed(tablet.created))] = args["contact_id"]


def contact_args(
    minutes_ago: int,
    channel: str,
    caller: str,
    contact_type: str,
    topics: list[str],
    resolution: str,
    client_id: str | None,
) -> dict[str, Any]:
    """A valid `contact.record` by the counsellor."""
    return {
        "contact_id": str(uuid.uuid4()),
        "occurred_at": (datetime.now(HELSINKI) - timedelta(minutes=minutes_ago)).isoformat(),
        "channel": channel,
        "caller_type": caller,
        "contact_type": contact_type,
        "topics": topics,
        "resolution": resolution,
        "area_id": OULU,
        "client_id": client_id,
        "note": "fault-injection",
    }


def attendance_args(
    kind: str,
    client_id: str,
    day: date,
    *,
    hour: int = 9,
    minute: int = 0,
    helsinki: bool = False,
    reason: str = "ill",
) -> dict[str, Any]:
    """Arguments of an attendance mutation (whether they are valid is the caller's to know)."""
    args: dict[str, Any] = {"client_id": client_id, "unit_id": DAY_UNIT, "date": day.isoformat()}
    if kind == "attendance.mark_absent":
        args["reason"] = reason
    else:
        tz = HELSINKI if helsinki else UTC
        args["at"] = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz).isoformat()
    return args


def as_event(name: str, args: dict[str, Any]) -> policies.Attendance:
    if name == "attendance.check_in":
        return policies.Attendance(checked_in_at=datetime.fromisoformat(args["at"]))
    if name == "attendance.check_out":
        return policies.Attendance(checked_out_at=datetime.fromisoformat(args["at"]))
    return policies.Attendance(absent_reason=args["reason"])


async def net(world: World, tablet: Tablet, action: str) -> None:
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


async def check_always(world: World, schedule: Schedule) -> None:
    """Cheap properties that hold after every step, whatever the network did."""
    by_client = {t.client.client_id: t for t in schedule.tablets}
    async with world.sessions() as s:
        last_seqs = dict(
            (
                await s.execute(
                    select(ReplicaRow.id, ReplicaRow.last_seq).where(ReplicaRow.id.in_(by_client))
                )
            ).all()
        )
        recorded = (
            await s.execute(
                select(SyncMutation.replica_id, SyncMutation.id, func.count())
                .where(SyncMutation.replica_id.in_(by_client))
                .group_by(SyncMutation.replica_id, SyncMutation.id)
            )
        ).all()
        for client_id, tablet in by_client.items():
            last_seq = last_seqs.get(client_id) or 0
            assert last_seq <= len(tablet.created), (
                f"{tablet.name}: server last_seq {last_seq} > {len(tablet.created)} mutations created"
            )
        for client_id, mutation_id, n in recorded:
            tablet = by_client[client_id]
            assert str(mutation_id) in tablet.created, (
                f"{tablet.name}: the server recorded a mutation never created: {mutation_id}"
            )
            assert n == 1, f"{tablet.name}: {mutation_id} recorded {n} times"
        await _no_duplicate_attendance(s, schedule.clients)


async def _no_duplicate_attendance(s: Any, clients: list[str] | None = None) -> None:
    query = select(AttendanceRow.client_id, AttendanceRow.unit_id, AttendanceRow.date)
    if clients is not None:
        query = query.where(AttendanceRow.client_id.in_([uuid.UUID(c) for c in clients]))
    duplicates = (
        await s.execute(
            query.group_by(AttendanceRow.client_id, AttendanceRow.unit_id, AttendanceRow.date).having(
                func.count() > 1
            )
        )
    ).all()
    assert not duplicates, f"more than one attendance row per (client, unit, date): {duplicates}"


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


async def check_converged(world: World, schedule: Schedule) -> None:
    """After :func:`heal_and_drain`: the full invariants, for this schedule's replicas and mutations."""
    c = world.totals.counts
    async with world.sessions() as s:
        for tablet in schedule.tablets:
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
                    .where(SyncMutation.replica_id == client_id)
                    .group_by(SyncMutation.id)
                )
            ).all()
            per_id = {str(i): n for i, n in recorded}
            assert per_id.keys() == tablet.created.keys(), f"{tablet.name}: recorded != created"
            assert set(per_id.values()) <= {1}
            row = await s.get(ReplicaRow, client_id)
            assert (row.last_seq if row else 0) == len(tablet.created)
            # No rejection is invisible.
            not_applied = (
                await s.execute(
                    select(SyncMutation.id, SyncMutation.status, SyncMutation.code).where(
                        SyncMutation.replica_id == client_id, SyncMutation.status != "applied"
                    )
                )
            ).all()
            held = {str(o.id) for o in tablet.client.outcomes()}
            missing = [(str(i), st, code) for i, st, code in not_applied if str(i) not in held]
            assert not missing, f"{tablet.name}: rejections the user never saw: {missing}"

        # Attendance: one record per (client, unit, date), equal to the merge of what was there before this
        # schedule and every event of it that was applied (valid ones applied, invalid ones rejected).
        mutation_ids = [uuid.UUID(m) for events in schedule.events.values() for m, _, _ in events]
        statuses = {
            str(i): st
            for i, st in (
                await s.execute(
                    select(SyncMutation.id, SyncMutation.status).where(SyncMutation.id.in_(mutation_ids))
                )
            ).all()
        }
        for record_id, events in schedule.events.items():
            applied = []
            for mutation_id, event, valid in events:
                status = statuses.get(mutation_id)
                assert status == ("applied" if valid else "rejected"), (mutation_id, status, valid, event)
                if status == "applied":
                    applied.append(event)
            before = schedule.before.get(record_id)
            stored = await s.get(SyncRecord, ("attendance", record_id))
            rows = (
                await s.execute(select(AttendanceRow).where(AttendanceRow.id == uuid.UUID(record_id)))
            ).all()
            if not applied and before is None:
                assert stored is None and not rows, record_id
                continue
            assert stored is not None and len(rows) == 1, record_id
            expected = policies.merge_attendance(before, *applied)
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
                    select(SyncMutation.id, SyncMutation.status).where(
                        SyncMutation.id.in_([uuid.UUID(m) for m in schedule.contacts])
                    )
                )
            ).all()
        }
        for mutation_id, contact_id in schedule.contacts.items():
            assert contact_status.get(mutation_id) == "applied", (
                mutation_id,
                contact_status.get(mutation_id),
            )
            rows = (await s.execute(select(Contact.id).where(Contact.id == uuid.UUID(contact_id)))).all()
            assert len(rows) == 1, contact_id
            assert await s.get(SyncRecord, ("contact", contact_id)) is not None
        c["applied"] += sum(1 for v in statuses.values() if v == "applied")
        c["rejected"] += sum(1 for v in statuses.values() if v != "applied")
        await _no_duplicate_attendance(s)
