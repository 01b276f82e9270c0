"""The SAS meeting view: what the placement group goes through when it meets (coordinators only).

Given `since` (the day of the last meeting; the controller defaults it to 14 days ago), over the active
entries (`waiting`, `offered`) of the queues asked for:

- **new**: entries recorded (`referral.created_at`) or received (`queue_entry.entered_at`) on or after
  `since` — so a referral received earlier but synced late still comes up once;
- **changed**: the other entries whose situation changed since `since`: urgency, MAPLe, CPS, ADL-H or
  area preference differ from what they were at the start of `since`. The referral table keeps only its
  current state, so the state at `since` is read from the sync change log (`changes` rows of the
  `referral` record, which every mutation that changes a referral writes with the full record); an entry
  with no logged state before `since` cannot be compared and is not listed as changed. Entries whose
  offer was declined or expired since `since` (they are waiting again) are listed with that event;
- **longest waiting**: the `limit` entries that have waited longest (days since `entered_at`).

Each entry carries its rank and reasons (`server.queue.ranking`) and only what placement needs of the
client: initials, age, municipality, scores. `log_meeting` writes one access-log entry per entry shown.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.access_log import service as access_log
from server.clients.models import Client
from server.queue.controllers import QueueEntryOut, age_on
from server.queue.models import ACTIVE_ENTRY_STATUSES, Offer, QueueEntry, Referral
from server.queue.ranking import Ranked
from server.queue.sync import ranked_queue
from server.sync.models import Change

SITUATION_FIELDS = ("urgency", "maple", "cps", "adl_h", "area_preference")
DEFAULT_DAYS = 14
DEFAULT_LIMIT = 10


class SituationChange(msgspec.Struct):
    field: str
    before: Any
    after: Any


class MeetingEntry(QueueEntryOut):
    """An entry as the queue shows it (`GET /api/queue`), with what the meeting needs on top."""

    entered_at: date
    changed_at: datetime | None = None
    changes: list[SituationChange] = []
    events: list[str] = []


class MeetingView(msgspec.Struct):
    since: date
    today: date
    new: list[MeetingEntry]
    changed: list[MeetingEntry]
    longest_waiting: list[MeetingEntry]


Row = tuple[QueueEntry, Referral, Ranked]


def situation(data: dict[str, Any]) -> dict[str, Any]:
    found = {name: data.get(name) for name in SITUATION_FIELDS}
    found["area_preference"] = sorted(str(a) for a in found["area_preference"] or [])
    return found


def referral_situation(referral: Referral) -> dict[str, Any]:
    return situation({name: getattr(referral, name) for name in SITUATION_FIELDS})


async def active_rows(
    session: AsyncSession, today: date, service_kind: str | None, area_id: uuid.UUID | None
) -> list[Row]:
    keys = select(QueueEntry.service_kind, QueueEntry.area_id).where(
        QueueEntry.status.in_(ACTIVE_ENTRY_STATUSES)
    )
    if service_kind is not None:
        keys = keys.where(QueueEntry.service_kind == service_kind)
    if area_id is not None:
        keys = keys.where(QueueEntry.area_id == area_id)
    rows: list[Row] = []
    for kind, area in sorted((await session.execute(keys.distinct())).all(), key=lambda k: (k[0], str(k[1]))):
        rows += await ranked_queue(session, kind, area, today)
    return rows


async def situation_changes(
    session: AsyncSession, referrals: list[Referral], since_at: datetime
) -> dict[uuid.UUID, tuple[datetime, list[SituationChange]]]:
    """{referral id: (when it last changed, what differs from the state at `since_at`)} from the change log."""
    if not referrals:
        return {}
    log = await session.execute(
        select(Change.record_id, Change.at, Change.data)
        .where(Change.record_type == "referral", Change.record_id.in_([str(r.id) for r in referrals]))
        .order_by(Change.version)
    )
    history: dict[str, list[tuple[datetime, dict[str, Any]]]] = {}
    for record_id, at, data in log:
        if data is not None:
            history.setdefault(record_id, []).append((at, situation(data)))
    found = {}
    for referral in referrals:
        versions = history.get(str(referral.id), [])
        before = [s for at, s in versions if at < since_at]
        if not before:
            continue
        baseline, previous, changed_at = before[-1], before[-1], None
        for at, state in versions[len(before) :]:
            if state != previous:
                changed_at = at
            previous = state
        now = referral_situation(referral)
        diff = [SituationChange(f, baseline[f], now[f]) for f in SITUATION_FIELDS if baseline[f] != now[f]]
        if diff and changed_at is not None:
            found[referral.id] = (changed_at, diff)
    return found


async def offer_events(
    session: AsyncSession, entry_ids: list[uuid.UUID], since_at: datetime
) -> dict[uuid.UUID, list[str]]:
    """Offers declined or expired since `since_at`, per queue entry."""
    if not entry_ids:
        return {}
    rows = await session.execute(
        select(Offer.queue_entry_id, Offer.status)
        .where(
            Offer.queue_entry_id.in_(entry_ids),
            Offer.status.in_(("declined", "expired")),
            Offer.decided_at >= since_at,
        )
        .order_by(Offer.decided_at)
    )
    found: dict[uuid.UUID, list[str]] = {}
    for entry_id, status in rows:
        found.setdefault(entry_id, []).append(f"offer_{status}")
    return found


async def meeting_view(
    session: AsyncSession,
    since: date,
    today: date,
    service_kind: str | None = None,
    area_id: uuid.UUID | None = None,
    limit: int = DEFAULT_LIMIT,
) -> MeetingView:
    rows = await active_rows(session, today, service_kind, area_id)
    clients = {
        c.id: c
        for c in (
            await session.execute(select(Client).where(Client.id.in_({e.client_id for e, _, _ in rows})))
        ).scalars()
    }
    since_at = datetime.combine(since, time(), tzinfo=UTC)

    def out(row: Row, **extra: Any) -> MeetingEntry:
        entry, referral, ranked = row
        client = clients[entry.client_id]
        return MeetingEntry(
            queue_entry_id=entry.id,
            referral_id=referral.id,
            service_kind=entry.service_kind,
            area_id=entry.area_id,
            status=entry.status,
            rank=ranked.rank,
            reasons=ranked.reasons,
            days_waiting=ranked.days_waiting,
            client_id=client.id,
            initials=f"{client.first_name[:1]}{client.last_name[:1]}".upper(),
            age=age_on(client.birth_date, today),
            municipality_id=client.municipality_id,
            urgency=referral.urgency,
            maple=referral.maple,
            cps=referral.cps,
            adl_h=referral.adl_h,
            entered_at=entry.entered_at,
            **extra,
        )

    is_new = {e.id for e, r, _ in rows if r.created_at >= since_at or e.entered_at >= since}
    older = [row for row in rows if row[0].id not in is_new]
    changes = await situation_changes(session, [r for _, r, _ in older], since_at)
    events = await offer_events(session, [e.id for e, _, _ in older], since_at)
    changed = []
    for row in older:
        entry, referral, _ = row
        at, diff = changes.get(referral.id, (None, []))
        if diff or entry.id in events:
            changed.append(out(row, changed_at=at, changes=diff, events=events.get(entry.id, [])))
    longest = sorted(
        rows, key=lambda r: (-r[2].days_waiting, r[0].service_kind, str(r[0].area_id), r[2].rank)
    )
    return MeetingView(
        since,
        today,
        [out(row) for row in rows if row[0].id in is_new],
        changed,
        [out(row) for row in longest[:limit]],
    )


async def log_meeting(session: AsyncSession, actor: access_log.Actor, view: MeetingView) -> None:
    """One access-log entry per queue entry shown (once, even when it is in two lists)."""
    shown: dict[uuid.UUID, MeetingEntry] = {}
    for entry in [*view.new, *view.changed, *view.longest_waiting]:
        shown.setdefault(entry.queue_entry_id, entry)
    await access_log.record(
        session,
        actor,
        [
            access_log.Access(
                "queue_entry",
                "read",
                "coordinator:placement",
                client_id=e.client_id,
                record_id=str(e.queue_entry_id),
            )
            for e in shown.values()
        ],
    )
