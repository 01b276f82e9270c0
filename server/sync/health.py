"""Sync health: what each replica reports with its pulls, and the server's own figures about it.

`record_pull` stores a replica's report; `sync_health` builds the admin view (`GET /api/admin/sync-health`):
every device with its clients, their figures, and flags that point an admin at a tablet in trouble:

- `stale`: no pull for more than `KAARI_STALE_AFTER_MINUTES` (default 60) while its outbox is not empty,
  or no contact at all (push or pull) for a day;
- `growing_outbox`: outbox depth ≥ 50, or its oldest pending mutation is more than an hour old;
- `errors`: the device reports a last error, or the server rejected some of its mutations in the last day;
- `old_build`: its app build is older than the newest build any replica reported.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.devices import Device
from server.accounts.models import User
from server.accounts.principal import Principal
from server.db import begin_write, utcnow
from server.reference.models import Unit
from server.sync.models import Replica, SyncMutation
from server.sync.replicas import bind_replica
from sync_protocol.messages import PullRequest, PullResponse

# Write the pull time at most this often per client when nothing else changed (pulls are frequent).
QUIET_WRITE = timedelta(seconds=30)


def _skew_ms(header: str | None, server_time: datetime) -> int | None:
    if not header:
        return None
    try:
        told = datetime.fromisoformat(header)
    except ValueError:
        return None
    if told.tzinfo is None:
        return None
    return int((server_time - told).total_seconds() * 1000)


async def note_push_clock(
    session: AsyncSession, client_id: uuid.UUID, client_time: str | None, server_time: datetime
) -> None:
    """Update the clock skew from a push's `X-Client-Time`, inside the push's own transaction."""
    skew = _skew_ms(client_time, server_time)
    if skew is None:
        return
    client = await session.get(Replica, client_id)  # already in the session: no query
    if client is not None:
        client.clock_skew_ms = skew


async def record_pull(
    session: AsyncSession,
    principal: Principal,
    request: PullRequest,
    response: PullResponse,
    client: Replica | None,
    client_time: str | None,
) -> None:
    """Store the health report and pull time; registers the client on its first pull."""
    now = utcnow()
    health: dict[str, Any] | None = None
    if request.health is not None:
        health = msgspec.to_builtins(request.health)
    quiet = (
        client is not None
        and client.last_pull_at is not None
        and now - client.last_pull_at < QUIET_WRITE
        and health == client.health
        and not request.resync_scopes
    )
    if quiet:
        return
    await begin_write(session)
    client = await bind_replica(session, principal, request.client_id, create=True)
    assert client is not None
    client.last_pull_at = now
    if health is not None:
        client.health = health
        client.app_build = (
            request.health.app_build or client.app_build if request.health else client.app_build
        )
    skew = _skew_ms(client_time, response.server_time)
    if skew is not None:
        client.clock_skew_ms = skew
    if request.resync_scopes:
        client.checksum_mismatches += 1
    await session.commit()


# --- the admin view ---------------------------------------------------------------------------------------

OUTBOX_DEPTH_ALARM = 50
OUTBOX_AGE_ALARM = timedelta(hours=1)
NO_CONTACT_ALARM = timedelta(days=1)
RECENT_REJECTIONS = timedelta(days=1)


class HealthFlags(msgspec.Struct, kw_only=True):
    stale: bool = False
    growing_outbox: bool = False
    errors: bool = False
    old_build: bool = False

    def any(self) -> bool:
        return self.stale or self.growing_outbox or self.errors or self.old_build

    def names(self) -> list[str]:
        return [f for f in self.__struct_fields__ if getattr(self, f)]


class ReportedHealth(msgspec.Struct, kw_only=True):
    """What the device said with its last reporting pull (protocol §4 `health`)."""

    outbox_depth: int | None = None
    oldest_pending_at: datetime | None = None
    last_error: str | None = None
    storage_used: int | None = None
    storage_quota: int | None = None


class UserRef(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    username: str
    display_name: str


class ClientHealth(msgspec.Struct, kw_only=True):
    client_id: uuid.UUID
    user: UserRef
    created_at: datetime
    last_push_at: datetime | None
    last_pull_at: datetime | None
    app_build: str | None
    reported: ReportedHealth
    clock_skew_ms: int | None
    last_seq: int
    applied: int
    rejected: int
    conflicts: int
    rejected_last_day: int
    checksum_mismatches: int
    flags: HealthFlags


class DeviceHealth(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    kind: str
    unit_id: uuid.UUID | None
    unit_code: str | None
    revoked: bool
    revoked_at: datetime | None
    last_seen_at: datetime | None
    flags: list[str]
    """Union of its clients' flags, for sorting and badges."""
    clients: list[ClientHealth]


class SyncHealthReport(msgspec.Struct, kw_only=True):
    generated_at: datetime
    newest_build: str | None
    stale_after_minutes: int
    devices: list[DeviceHealth]
    """Devices in trouble first, then by name."""


def build_key(build: str) -> tuple[tuple[int, int | str], ...]:
    """Natural order of build strings: `2026.11.10` > `2026.11.9`, numbers compare as numbers."""
    return tuple((1, int(p)) if p.isdigit() else (0, p) for p in re.findall(r"\d+|[A-Za-z]+", build))


def _reported(health: dict[str, Any] | None) -> ReportedHealth:
    if not health:
        return ReportedHealth()
    known = {k: v for k, v in health.items() if k in ReportedHealth.__struct_fields__}
    try:
        return msgspec.convert(known, ReportedHealth, strict=False)
    except msgspec.ValidationError:
        return ReportedHealth()


def client_flags(
    client: Replica,
    reported: ReportedHealth,
    rejected_last_day: int,
    newest_build: str | None,
    now: datetime,
    stale_after_delta: timedelta,
) -> HealthFlags:
    depth = reported.outbox_depth or 0
    contacts = [t for t in (client.last_pull_at, client.last_push_at, client.created_at) if t is not None]
    last_contact = max(contacts) if contacts else None
    no_recent_pull = client.last_pull_at is None or now - client.last_pull_at > stale_after_delta
    return HealthFlags(
        stale=(no_recent_pull and depth > 0) or last_contact is None or now - last_contact > NO_CONTACT_ALARM,
        growing_outbox=depth >= OUTBOX_DEPTH_ALARM
        or (reported.oldest_pending_at is not None and now - reported.oldest_pending_at > OUTBOX_AGE_ALARM),
        errors=bool(reported.last_error) or rejected_last_day > 0,
        old_build=bool(newest_build and client.app_build)
        and build_key(client.app_build or "") < build_key(newest_build or ""),
    )


async def sync_health(
    session: AsyncSession, stale_after_minutes: int = 60, now: datetime | None = None
) -> SyncHealthReport:
    """Every device with its replicas' health and the flags an admin acts on. One query per table."""
    now = now or utcnow()
    delta = timedelta(minutes=stale_after_minutes)
    devices = (
        await session.execute(select(Device, Unit.code).outerjoin(Unit, Unit.id == Device.unit_id))
    ).all()
    clients = (await session.execute(select(Replica, User).join(User, User.id == Replica.user_id))).all()
    rejected = dict(
        (
            await session.execute(
                select(SyncMutation.replica_id, func.count())
                .where(SyncMutation.status == "rejected", SyncMutation.received_at >= now - RECENT_REJECTIONS)
                .group_by(SyncMutation.replica_id)
            )
        ).all()
    )
    builds = {c.app_build for c, _ in clients if c.app_build}
    newest = max(builds, key=build_key) if builds else None

    by_device: dict[uuid.UUID, list[ClientHealth]] = {}
    for client, user in clients:
        reported = _reported(client.health)
        recent = int(rejected.get(client.id, 0))
        by_device.setdefault(client.device_id, []).append(
            ClientHealth(
                client_id=client.id,
                user=UserRef(id=user.id, username=user.username, display_name=user.display_name),
                created_at=client.created_at,
                last_push_at=client.last_push_at,
                last_pull_at=client.last_pull_at,
                app_build=client.app_build,
                reported=reported,
                clock_skew_ms=client.clock_skew_ms,
                last_seq=client.last_seq,
                applied=client.applied_count,
                rejected=client.rejected_count,
                conflicts=client.conflict_count,
                rejected_last_day=recent,
                checksum_mismatches=client.checksum_mismatches,
                flags=client_flags(client, reported, recent, newest, now, delta),
            )
        )
    out = []
    for device, unit_code in devices:
        replicas = sorted(
            by_device.get(device.id, []), key=lambda c: c.last_pull_at or c.created_at, reverse=True
        )
        flags = sorted({name for c in replicas for name in c.flags.names()})
        out.append(
            DeviceHealth(
                id=device.id,
                name=device.name,
                kind=device.kind,
                unit_id=device.unit_id,
                unit_code=unit_code,
                revoked=device.revoked_at is not None,
                revoked_at=device.revoked_at,
                last_seen_at=device.last_seen_at,
                flags=flags,
                clients=replicas,
            )
        )
    out.sort(key=lambda d: (not d.flags or d.revoked, d.name, str(d.id)))
    return SyncHealthReport(
        generated_at=now,
        newest_build=newest,
        stale_after_minutes=int(delta.total_seconds() // 60),
        devices=out,
    )


# --- stale devices (the `sync.alert_stale_devices` job and the `kaari_sync_stale_devices` gauge) -------------


class StaleDevice(msgspec.Struct, kw_only=True):
    """A device that has not synced for the stale time while one of its replicas reported work queued."""

    id: uuid.UUID
    name: str
    unit_id: uuid.UUID | None
    last_sync_at: datetime | None
    """The device's last pull by any of its replicas (None: never pulled); names the stale episode."""
    outbox_depth: int
    """Mutations waiting, summed over its replicas' last reports."""


async def stale_devices(session: AsyncSession, now: datetime, stale_after: timedelta) -> list[StaleDevice]:
    """Devices (not revoked) whose replicas last pulled more than `stale_after` ago, with a non-empty
    reported outbox. Judged per device, not per replica: a shared tablet whose other user keeps syncing
    also pushes the waiting outbox of a signed-out user (device credential), so it is not stuck.

    A device is stale once per episode: its `last_sync_at` only moves when it syncs again, which ends
    the episode; going stale after that is a new one.
    """
    rows = (
        await session.execute(
            select(Device.id, Device.name, Device.unit_id, Replica.last_pull_at, Replica.health)
            .join(Replica, Replica.device_id == Device.id)
            .where(Device.revoked_at.is_(None))
            .order_by(Device.name, Device.id)
        )
    ).all()
    devices: dict[uuid.UUID, StaleDevice] = {}
    for device_id, name, unit_id, last_pull_at, health in rows:
        device = devices.setdefault(
            device_id,
            StaleDevice(id=device_id, name=name, unit_id=unit_id, last_sync_at=None, outbox_depth=0),
        )
        if last_pull_at is not None and (device.last_sync_at is None or last_pull_at > device.last_sync_at):
            device.last_sync_at = last_pull_at
        device.outbox_depth += max(_reported(health).outbox_depth or 0, 0)
    return [
        d
        for d in devices.values()
        if d.outbox_depth > 0 and (d.last_sync_at is None or now - d.last_sync_at > stale_after)
    ]
