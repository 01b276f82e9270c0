"""The notification rules: who is told what, and when.

| event | recipients | urgency, TTL | coalescing |
|---|---|---|---|
| `free_places`: a place frees in a unit (stay cancelled, move-out, capacity raised, offer declined or expired, absence) | coordinators of the unit's area (or the whole region) | normal, 12 h; `Topic` per unit | one notification per unit per burst (`notifications.bursts`) |
| `referral`: `referral.create` | coordinators of the referral's area | high, 24 h | one per referral |
| `application`: `application.receive` | coordinators of the application's area | high, 24 h | one per application |
| `offer_expiring`: an open offer 6 h before it expires | the coordinator who made the offer | high, until it expires | one per offer |
| `deadline_at_risk`: an assessment not started on the last working day before its statutory deadline | its responsible counsellor | high, 24 h | one per assessment and deadline |
| `push_rejected`: a push service refuses our VAPID key (401/403) | admins | high, 24 h | one per push service and day |
| `device_stale`: a device has not synced for `KAARI_STALE_AFTER_MINUTES` with mutations waiting in its outbox | admins | high, 24 h | one per device and stale episode (its last sync) |

Each builder reads the current state (a job may run late) and returns `Draft`s, one per recipient, or
nothing when the reason has gone (the place was taken again, the offer answered, the assessment started).
Clients are named by initials only, and only to recipients whose role sees them where the notification
points: the queue (coordinators) for free places and offers, the responsible counsellor for an assessment.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from notifications import texts
from notifications.inbox import Audience, Draft
from server.accounts.models import RoleAssignment, User
from server.applications.models import Application
from server.assessments.models import Assessment
from server.clients.models import Client
from server.clock import date_in_finland, today_in_finland
from server.places.capacity import HORIZON_DAYS, date_range, day_places, load_state
from server.queue.models import Offer, Referral, queue_entry_id
from server.queue.sync import ranked_queue
from server.reference.models import Area, CodeList, Unit
from server.sync.health import StaleDevice

EVENTS_BY_ROLE = {
    "coordinator": ("free_places", "referral", "application", "offer_expiring"),
    "counsellor": ("deadline_at_risk",),
    "admin": ("push_rejected", "device_stale"),
}
EVENTS = tuple(e for events in EVENTS_BY_ROLE.values() for e in events)
BEST_MATCHES = 3
HOUR = 3600
FREE_PLACES_TTL = 12 * HOUR
DAY_TTL = 24 * HOUR
OFFER_WARNING = timedelta(hours=6)


def topic_for(unit_id: uuid.UUID) -> str:
    """`Topic` (≤ 32 URL-safe characters): a newer free-places push for the unit replaces an undelivered one."""
    return "fp-" + base64.urlsafe_b64encode(unit_id.bytes).rstrip(b"=").decode()


def initials(client: Client) -> str:
    return f"{client.first_name[:1]}.{client.last_name[:1]}.".upper()


async def users_with_role(session: AsyncSession, role: str, area_id: uuid.UUID | None = None) -> list[User]:
    """Active users holding `role` for the whole region, or for `area_id`."""
    scope = and_(RoleAssignment.area_id.is_(None), RoleAssignment.unit_id.is_(None))
    if area_id is not None:
        scope = or_(scope, RoleAssignment.area_id == area_id)
    query = (
        select(User)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(User.active.is_(True), RoleAssignment.role == role, scope)
        .distinct()
        .order_by(User.id)
    )
    return list((await session.execute(query)).scalars())


async def _active_user(session: AsyncSession, user_id: uuid.UUID | None, role: str) -> User | None:
    if user_id is None:
        return None
    found = await session.execute(
        select(User)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(User.id == user_id, User.active.is_(True), RoleAssignment.role == role)
        .limit(1)
    )
    return found.scalar_one_or_none()


async def _service_labels(session: AsyncSession) -> dict[str, dict[str, str]]:
    codes = await session.get(CodeList, "referral.service_kind")
    return {c["code"]: c.get("labels", {}) for c in (codes.codes if codes else [])}


# --- free places --------------------------------------------------------------------------------------------


async def free_places(
    session: AsyncSession, unit_id: uuid.UUID, first: date, last: date, key: str, now: datetime
) -> list[Draft]:
    """ "N free places in unit X from date D" to the area's coordinators, with the queue's best matches.

    D is the first date of `first..last` (within today..today+60) with a free place and N the free places
    that day; nothing when no date of the range is free any more."""
    unit = await session.get(Unit, unit_id)
    if unit is None:
        return []
    today = today_in_finland(now)
    days = date_range(max(first, today), min(last, today + timedelta(days=HORIZON_DAYS)))
    places = day_places(await load_state(session, unit), days)
    free_days = [d for d in days if places[d].free > 0]
    if not free_days:
        return []
    day, n = free_days[0], places[free_days[0]].free
    queue = [
        q for q in await ranked_queue(session, unit.kind, unit.area_id, today) if q[0].status == "waiting"
    ]
    best = queue[:BEST_MATCHES]
    clients = {
        c.id: c
        for c in (
            await session.execute(select(Client).where(Client.id.in_([e.client_id for e, _, _ in best])))
        ).scalars()
    }
    area = await session.get(Area, unit.area_id)
    ids = {
        "unit_id": str(unit.id),
        "area_id": str(unit.area_id),
        "date": day.isoformat(),
        "free": n,
        "free_days": len(free_days),
        "last_date": free_days[-1].isoformat(),
        "queue_entry_ids": [str(e.id) for e, _, _ in best],
    }
    drafts = []
    for user in await users_with_role(session, "coordinator", unit.area_id):
        lang = texts.language(user.language)
        # Coordinators see the queue (initials, reasons): they are told who fits best.
        matches = [
            texts.Match(
                r.rank, initials(clients[e.client_id]), ref.urgency == "urgent", ref.maple, r.days_waiting
            )
            for e, ref, r in best
        ]
        title, body = texts.free_places(
            lang,
            texts.label(unit.labels, lang, unit.code),
            n,
            day,
            matches,
            len(queue),
            len(free_days),
            free_days[-1],
        )
        drafts.append(
            _draft(
                user,
                "free_places",
                key,
                (title, body),
                url=f"/kotas?unit_id={unit.id}&from={day.isoformat()}",
                tag=f"free_places:{unit.id}",
                ids={**ids, "area": texts.label(area.labels if area else None, lang)},
                urgency="normal",
                ttl=FREE_PLACES_TTL,
                topic=topic_for(unit.id),
                audience=Audience("free_places", unit.area_id, unit.kind),
                named_clients=[e.client_id for e, _, _ in best],
                basis="coordinator:placement",
                role="coordinator",
            )
        )
    return drafts


# --- referrals and applications -----------------------------------------------------------------------------


async def referral(session: AsyncSession, referral_id: uuid.UUID) -> list[Draft]:
    row = await session.get(Referral, referral_id)
    if row is None or row.status != "open":
        return []
    urgent, received = row.urgency == "urgent", date_in_finland(row.received_at)
    return await _arrival(
        session,
        "referral",
        row.id,
        row.area_id,
        row.service_kind,
        lambda lang, service, area: texts.referral(lang, service, area, urgent, row.maple, received),
        url=f"/kotas?tab=queue&service_kind={row.service_kind}&area_id={row.area_id}&queue_entry_id={queue_entry_id(row.id)}",
        ids={
            "referral_id": str(row.id),
            "queue_entry_id": str(queue_entry_id(row.id)),
            "service_kind": row.service_kind,
        },
    )


async def application(session: AsyncSession, application_id: uuid.UUID) -> list[Draft]:
    row = await session.get(Application, application_id)
    if row is None or row.status not in ("received", "in_process"):
        return []
    return await _arrival(
        session,
        "application",
        row.id,
        row.area_id,
        row.service,
        lambda lang, service, area: texts.application(lang, service, area, row.received_on),
        url=f"/kotas?tab=queue&area_id={row.area_id}",
        ids={"application_id": str(row.id), "service": row.service},
    )


async def _arrival(
    session: AsyncSession,
    kind: str,
    row_id: uuid.UUID,
    area_id: uuid.UUID,
    service: str,
    render: Callable[[str, str, str], tuple[str, str]],
    *,
    url: str,
    ids: dict[str, Any],
) -> list[Draft]:
    """Something new for the area's coordinators (a referral, an application): urgent, for a day."""
    area = await session.get(Area, area_id)
    services = await _service_labels(session)
    drafts = []
    for user in await users_with_role(session, "coordinator", area_id):
        lang = texts.language(user.language)
        text = render(
            lang,
            texts.label(services.get(service), lang, service),
            texts.label(area.labels if area else None, lang),
        )
        drafts.append(
            _draft(
                user,
                kind,
                f"{kind}:{row_id}",
                text,
                url=url,
                tag=f"{kind}:{row_id}",
                ids={**ids, "area_id": str(area_id)},
                urgency="high",
                ttl=DAY_TTL,
                audience=Audience(kind, area_id, service),
            )
        )
    return drafts


def _draft(user: User, kind: str, key: str, text: tuple[str, str], **rest: Any) -> Draft:
    title, body = text
    return Draft(user_id=user.id, username=user.username, key=key, kind=kind, title=title, body=body, **rest)


# --- one person's reminders ---------------------------------------------------------------------------------


def offer_key(offer_id: uuid.UUID) -> str:
    """The offer's warning's notification key: one per offer."""
    return f"offer_expiring:{offer_id}"


def deadline_key(assessment_id: uuid.UUID, deadline: date) -> str:
    """The assessment's warning's notification key: one per assessment and deadline."""
    return f"deadline:{assessment_id}:{deadline.isoformat()}"


def offer_warning_at(expires_at: datetime, now: datetime) -> datetime:
    """When to warn the offer's coordinator: 6 hours before it expires (at once if that has passed)."""
    return max(expires_at - OFFER_WARNING, now)


async def offer_expiring(session: AsyncSession, offer_id: uuid.UUID, now: datetime) -> list[Draft]:
    offer = await session.get(Offer, offer_id)
    if offer is None or offer.status != "open" or offer.expires_at <= now:
        return []
    user = await _active_user(session, offer.created_by, "coordinator")
    unit = await session.get(Unit, offer.unit_id)
    client = await session.get(Client, offer.client_id)
    if user is None or unit is None or client is None:
        return []
    lang = texts.language(user.language)
    title, body = texts.offer_expiring(
        lang, texts.label(unit.labels, lang, unit.code), offer.expires_at, offer.start_date, initials(client)
    )
    return [
        _draft(
            user,
            "offer_expiring",
            offer_key(offer.id),
            (title, body),
            url=f"/kotas?tab=queue&offer_id={offer.id}",
            tag=f"offer:{offer.id}",
            ids={
                "offer_id": str(offer.id),
                "queue_entry_id": str(offer.queue_entry_id),
                "unit_id": str(unit.id),
            },
            urgency="high",
            ttl=max(int((offer.expires_at - now).total_seconds()), 60),
            audience=Audience("offer_expiring"),
            named_clients=[client.id],
            basis="coordinator:placement",
            role="coordinator",
        )
    ]


async def deadline_at_risk(session: AsyncSession, assessment_id: uuid.UUID) -> list[Draft]:
    row = await session.get(Assessment, assessment_id)
    if row is None or row.status != "contacted" or row.deadline is None:
        return []
    user = await _active_user(session, row.counsellor_id, "counsellor")
    client = await session.get(Client, row.client_id)
    if user is None or client is None:
        return []
    lang = texts.language(user.language)
    title, body = texts.deadline_at_risk(lang, row.deadline, row.contact_on, initials(client))
    return [
        _draft(
            user,
            "deadline_at_risk",
            deadline_key(row.id, row.deadline),
            (title, body),
            url=f"/ohjaus?tab=assessments&assessment_id={row.id}",
            tag=f"deadline:{row.id}",
            ids={"assessment_id": str(row.id), "deadline": row.deadline.isoformat()},
            urgency="high",
            ttl=DAY_TTL,
            audience=Audience("deadline_at_risk"),
            named_clients=[client.id],
            basis=f"responsible_counsellor:assessment:{row.id}",
            role="counsellor",
        )
    ]


async def push_rejected(session: AsyncSession, host: str, code: int | None, now: datetime) -> list[Draft]:
    drafts = []
    for user in await users_with_role(session, "admin"):
        lang = texts.language(user.language)
        title, body = texts.push_rejected(lang, host, code)
        drafts.append(
            _draft(
                user,
                "push_rejected",
                f"push_rejected:{host}:{today_in_finland(now).isoformat()}"[:200],
                (title, body),
                url="/admin",
                tag=f"push_rejected:{host}"[:100],
                ids={"host": host, "status_code": code},
                urgency="high",
                ttl=DAY_TTL,
                audience=Audience("push_rejected"),
            )
        )
    return drafts


async def device_stale(session: AsyncSession, device: StaleDevice) -> list[Draft]:
    """A device stuck with work queued: the admins, once per stale episode. The key and the text name the
    device's last sync (not how long ago it was), so a run that finds the same episode changes nothing."""
    since = device.last_sync_at.isoformat() if device.last_sync_at else "never"
    unit = await session.get(Unit, device.unit_id) if device.unit_id else None
    drafts = []
    for user in await users_with_role(session, "admin"):
        lang = texts.language(user.language)
        title, body = texts.device_stale(
            lang,
            device.name,
            texts.label(unit.labels, lang, unit.code) if unit else None,
            device.last_sync_at,
            device.outbox_depth,
        )
        drafts.append(
            _draft(
                user,
                "device_stale",
                f"device_stale:{device.id}:{since}",
                (title, body),
                url=f"/admin?device_id={device.id}",
                tag=f"device_stale:{device.id}",
                ids={
                    "device_id": str(device.id),
                    "unit_id": str(device.unit_id) if device.unit_id else None,
                    "last_sync_at": device.last_sync_at.isoformat() if device.last_sync_at else None,
                    "outbox_depth": device.outbox_depth,
                },
                urgency="high",
                ttl=DAY_TTL,
                audience=Audience("device_stale"),
            )
        )
    return drafts
