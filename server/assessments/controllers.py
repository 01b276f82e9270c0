"""Routes: the statutory worklist of service-needs assessments.

`GET /api/assessments/deadlines?area_id=&counsellor_id=&days=` — the assessments not yet started whose
statutory deadline (`server.assessments.deadlines`) has passed (`overdue`) or comes within `days` working
days (`due_soon`, default 2), with per-counsellor and per-area counts. Counsellors and supervisors see the
areas they work in (a region-wide grant sees every area) and the processes they are responsible
for. Each listed client is written to the access log (`assessment_worklist`, with the basis).

`GET /api/assessments/counsellors?area_id=` — who a process can be handed to (`assessment.assign`): the
counsellors of the caller's areas (region-wide counsellors included), with the areas they work in. Staff
names only, no client data: nothing to log.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date
from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.params import FromQuery, QueryParameter
from sqlalchemy import or_, select

from server.access_log import service as access_log
from server.accounts.guidance import guidance_role
from server.accounts.models import GUIDANCE_ROLES, RoleAssignment, User
from server.assessments.deadlines import working_days_left
from server.assessments.models import Assessment
from server.clients.models import Client
from server.clock import today_in_finland
from server.db import begin_write
from server.deps import CurrentPrincipal, DbSession
from server.errors import Forbidden


class WorklistItem(msgspec.Struct):
    assessment_id: uuid.UUID
    client_id: uuid.UUID
    client_name: str
    area_id: uuid.UUID
    counsellor_id: uuid.UUID
    counsellor_name: str | None
    contact_on: date
    urgent: bool
    rule: str
    deadline: date
    days_overdue: int
    """Calendar days past the deadline (0 when not overdue)."""
    working_days_left: int


class CounsellorCount(msgspec.Struct):
    counsellor_id: uuid.UUID
    counsellor_name: str | None
    area_id: uuid.UUID
    overdue: int
    due_soon: int


class Worklist(msgspec.Struct):
    today: date
    overdue: list[WorklistItem]
    due_soon: list[WorklistItem]
    by_counsellor: list[CounsellorCount]


class CounsellorOut(msgspec.Struct):
    id: uuid.UUID
    display_name: str
    area_ids: list[uuid.UUID]
    region_wide: bool


class AssessmentsController(Controller):
    path = "/api/assessments"
    tags = ["assessments"]

    @get("/deadlines", operation_id="assessmentDeadlines")
    async def deadlines(
        self,
        principal: CurrentPrincipal,
        db_session: DbSession,
        area_id: FromQuery[uuid.UUID | None] = None,
        counsellor_id: FromQuery[uuid.UUID | None] = None,
        days: Annotated[int, QueryParameter(ge=0, le=30)] = 2,
    ) -> Worklist:
        """Overdue and due-soon assessments (not started) per counsellor and area; each client logged."""
        principal.require_role(*GUIDANCE_ROLES)
        user_id = principal.require_user()
        grants = principal.grants_for(*GUIDANCE_ROLES)
        region = any(g.region_wide for g in grants)
        areas = {g.area_id for g in grants if g.area_id is not None}
        if area_id is not None and not region and area_id not in areas:
            raise Forbidden("You see the assessments of your own areas.")
        await begin_write(db_session)
        today = today_in_finland()
        query = (
            select(Assessment, Client.first_name, Client.last_name, User.display_name)
            .join(Client, Client.id == Assessment.client_id)
            .join(User, User.id == Assessment.counsellor_id)
            .where(Assessment.status == "contacted", Assessment.deadline.is_not(None))
            .order_by(Assessment.deadline, Assessment.contacted_at, Assessment.id)
        )
        if not region:
            query = query.where(or_(Assessment.area_id.in_(areas), Assessment.counsellor_id == user_id))
        if area_id is not None:
            query = query.where(Assessment.area_id == area_id)
        if counsellor_id is not None:
            query = query.where(Assessment.counsellor_id == counsellor_id)
        overdue, due_soon, accesses = [], [], []
        counts: Counter[tuple[uuid.UUID, uuid.UUID, str | None, str]] = Counter()
        for row, first, last, counsellor_name in await db_session.execute(query):
            left = working_days_left(today, row.deadline)
            if row.deadline >= today and left > days:
                continue
            item = WorklistItem(
                row.id,
                row.client_id,
                f"{first} {last}",
                row.area_id,
                row.counsellor_id,
                counsellor_name,
                row.contact_on,
                row.urgent,
                row.rule,
                row.deadline,
                max(0, (today - row.deadline).days),
                left,
            )
            which = "overdue" if row.deadline < today else "due_soon"
            (overdue if which == "overdue" else due_soon).append(item)
            counts[(row.counsellor_id, row.area_id, counsellor_name, which)] += 1
            basis = (
                f"guidance:area:{row.area_id}"
                if region or row.area_id in areas
                else f"responsible_counsellor:assessment:{row.id}"
            )
            accesses.append(
                access_log.Access(
                    "assessment_worklist", "read", basis, client_id=row.client_id, record_id=str(row.id)
                )
            )
        await access_log.record(db_session, principal.actor(guidance_role(principal)), accesses)
        people = sorted(
            {(c, a, n) for c, a, n, _ in counts}, key=lambda k: (k[2] or "", str(k[0]), str(k[1]))
        )
        by_counsellor = [
            CounsellorCount(c, n, a, counts[(c, a, n, "overdue")], counts[(c, a, n, "due_soon")])
            for c, a, n in people
        ]
        return Worklist(today, overdue, due_soon, by_counsellor)

    @get("/counsellors", operation_id="assessmentCounsellors")
    async def counsellors(
        self, principal: CurrentPrincipal, db_session: DbSession, area_id: FromQuery[uuid.UUID | None] = None
    ) -> list[CounsellorOut]:
        """Counsellors a process of the caller's areas (or of `area_id`) can be handed to, by name."""
        principal.require_role(*GUIDANCE_ROLES)
        grants = principal.grants_for(*GUIDANCE_ROLES)
        region = any(g.region_wide for g in grants)
        mine = {g.area_id for g in grants if g.area_id is not None}
        if area_id is not None and not region and area_id not in mine:
            raise Forbidden("You see the counsellors of your own areas.")
        wanted = {area_id} if area_id is not None else None if region else mine
        rows = await db_session.execute(
            select(User.id, User.display_name, RoleAssignment.area_id, RoleAssignment.unit_id)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(RoleAssignment.role == "counsellor", User.active.is_(True))
        )
        found: dict[uuid.UUID, CounsellorOut] = {}
        for user_id, name, grant_area, grant_unit in rows.all():
            if grant_unit is not None:
                continue  # a counsellor's grant is for an area or the region
            entry = found.setdefault(user_id, CounsellorOut(user_id, name, [], False))
            if grant_area is None:
                entry.region_wide = True
            else:
                entry.area_ids.append(grant_area)
        out = [c for c in found.values() if wanted is None or c.region_wide or wanted & set(c.area_ids)]
        for c in out:
            c.area_ids.sort(key=str)
        return sorted(out, key=lambda c: (c.display_name, str(c.id)))
