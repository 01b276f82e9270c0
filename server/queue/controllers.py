"""Routes for coordinators: the Kotas board of free places, and the placement queue.

- `GET /api/places/board` (coordinators, admins): every unit (filter by `area_id`, `kind`) with its free
  places per date in `from`..`to` (default today..today+13, at most 60 days after `from`), read from the
  published `free_places` records (dates outside the published window [today, today+60] are absent;
  "today" is the date in Finland, `server.clock`),
  sorted by the total of free places, most first. No client data, so nothing to log.
- `GET /api/queue` (coordinators): the active entries (filter by `service_kind`, `area_id`) per queue in rank
  order with their reasons, and only what placement needs of the client: id, initials, age, municipality,
  scores, days waiting. Every client listed is written to the access log (basis `coordinator:placement`).
  Not on a shared tablet (a coordinator may sign in on one, but a tablet holds only its unit's data).
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Controller, get
from litestar.params import FromQuery, QueryParameter
from sqlalchemy import select

from server.access_log import service as access_log
from server.clients.models import Client
from server.clock import today_in_finland
from server.db import begin_write
from server.deps import CurrentPrincipal, DbSession
from server.errors import Forbidden, KaariError
from server.places.capacity import free_places_id
from server.queue.models import ACTIVE_ENTRY_STATUSES, QueueEntry
from server.queue.sync import ranked_queue
from server.reference.models import Unit
from server.sync.models import SyncRecord

MAX_BOARD_DAYS = 60
DEFAULT_BOARD_DAYS = 13


class BoardDay(msgspec.Struct):
    date: date
    capacity: int
    occupied: int
    free: int


class BoardUnit(msgspec.Struct):
    unit_id: uuid.UUID
    code: str
    labels: dict[str, str]
    kind: str
    area_id: uuid.UUID
    total_free: int
    days: list[BoardDay]


class QueueEntryOut(msgspec.Struct):
    queue_entry_id: uuid.UUID
    referral_id: uuid.UUID
    service_kind: str
    area_id: uuid.UUID
    status: str
    rank: int
    reasons: list[str]
    days_waiting: int
    client_id: uuid.UUID
    initials: str
    age: int | None
    municipality_id: uuid.UUID
    urgency: str
    maple: int | None
    cps: int | None
    adl_h: int | None


def age_on(birth: date | None, today: date) -> int | None:
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


class PlacesBoardController(Controller):
    path = "/api/places/board"
    tags = ["places"]

    @get("/", operation_id="placesBoard")
    async def board(
        self,
        principal: CurrentPrincipal,
        db_session: DbSession,
        area_id: FromQuery[uuid.UUID | None] = None,
        kind: FromQuery[str | None] = None,
        start: Annotated[date | None, QueryParameter(name="from")] = None,
        end: Annotated[date | None, QueryParameter(name="to")] = None,
    ) -> list[BoardUnit]:
        """Free places per unit and date (coordinators, admins), most free places first."""
        principal.require_role("coordinator", "admin")
        start = start or today_in_finland()
        end = end or start + timedelta(days=DEFAULT_BOARD_DAYS)
        if end < start or (end - start).days > MAX_BOARD_DAYS:
            raise KaariError(
                f"The range is from..to, at most {MAX_BOARD_DAYS} days.",
                code="invalid_range",
                details={"from": start.isoformat(), "to": end.isoformat()},
            )
        query = select(Unit).order_by(Unit.code)
        if area_id is not None:
            query = query.where(Unit.area_id == area_id)
        if kind is not None:
            query = query.where(Unit.kind == kind)
        units = (await db_session.execute(query)).scalars().all()
        days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
        result = []
        for unit in units:
            ids = [str(free_places_id(unit.id, d)) for d in days]
            rows = await db_session.execute(
                select(SyncRecord.data).where(
                    SyncRecord.record_type == "free_places", SyncRecord.record_id.in_(ids)
                )
            )
            found: list[dict[str, Any]] = sorted(rows.scalars(), key=lambda d: d["date"])
            board_days = [
                BoardDay(date.fromisoformat(d["date"]), d["capacity"], d["occupied"], d["free"])
                for d in found
            ]
            total = sum(max(d.free, 0) for d in board_days)
            result.append(
                BoardUnit(unit.id, unit.code, unit.labels, unit.kind, unit.area_id, total, board_days)
            )
        result.sort(key=lambda u: (-u.total_free, u.code))
        return result


class QueueController(Controller):
    path = "/api/queue"
    tags = ["queue"]

    @get("/", operation_id="getQueue")
    async def queue(
        self,
        principal: CurrentPrincipal,
        db_session: DbSession,
        service_kind: FromQuery[str | None] = None,
        area_id: FromQuery[uuid.UUID | None] = None,
    ) -> list[QueueEntryOut]:
        """The queue in rank order with reasons (coordinators). Every client listed is logged."""
        principal.require_role("coordinator")
        if principal.device_kind == "shared":
            raise Forbidden("The queue is not shown on a shared tablet: a tablet holds only its unit's data.")
        await begin_write(db_session)
        today = today_in_finland()
        keys_query = select(QueueEntry.service_kind, QueueEntry.area_id).where(
            QueueEntry.status.in_(ACTIVE_ENTRY_STATUSES)
        )
        if service_kind is not None:
            keys_query = keys_query.where(QueueEntry.service_kind == service_kind)
        if area_id is not None:
            keys_query = keys_query.where(QueueEntry.area_id == area_id)
        keys = sorted(
            (await db_session.execute(keys_query.distinct())).all(), key=lambda k: (k[0], str(k[1]))
        )
        out: list[QueueEntryOut] = []
        for kind, area in keys:
            queue = await ranked_queue(db_session, kind, area, today)
            clients = {
                c.id: c
                for c in (
                    await db_session.execute(
                        select(Client).where(Client.id.in_([e.client_id for e, _, _ in queue]))
                    )
                ).scalars()
            }
            for entry, referral, ranked in queue:
                client = clients[entry.client_id]
                out.append(
                    QueueEntryOut(
                        entry.id,
                        referral.id,
                        entry.service_kind,
                        entry.area_id,
                        entry.status,
                        ranked.rank,
                        ranked.reasons,
                        ranked.days_waiting,
                        client.id,
                        f"{client.first_name[:1]}{client.last_name[:1]}".upper(),
                        age_on(client.birth_date, today),
                        client.municipality_id,
                        referral.urgency,
                        referral.maple,
                        referral.cps,
                        referral.adl_h,
                    )
                )
        await access_log.record(
            db_session,
            principal.actor("coordinator"),
            [
                access_log.Access(
                    "queue_entry",
                    "read",
                    "coordinator:placement",
                    client_id=e.client_id,
                    record_id=str(e.queue_entry_id),
                )
                for e in out
            ],
        )
        return out
