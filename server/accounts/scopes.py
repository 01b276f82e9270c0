"""Which scopes a replica gets: computed on the server from roles, enrolment and tables (protocol §4).

- everyone: `ref` (reference data) and `user:{user_id}` (their notifications and conflicts, and what they
  work on: a counsellor's contacts, responsible clients, assessments, applications, events);
- unit staff: `unit:{unit_id}` for each unit of their role;
- counsellors and supervisors: `area:{area_id}` for their areas (all areas for a region-wide role);
- coordinators: `places` (every unit's free places and the queue);
- admins: `admin` (conflicts and tasks addressed to admins).

On a shared tablet only `ref` and the tablet's own `unit:` scope remain.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import GUIDANCE_ROLES
from server.accounts.principal import Principal
from server.reference.models import REF, Area, Unit

PLACES = "places"
ADMIN = "admin"


def unit_scope(unit_id: uuid.UUID | str) -> str:
    return f"unit:{unit_id}"


def area_scope(area_id: uuid.UUID | str) -> str:
    return f"area:{area_id}"


def user_scope(user_id: uuid.UUID | str) -> str:
    return f"user:{user_id}"


async def scopes_for(session: AsyncSession, principal: Principal) -> set[str]:
    assert principal.user_id is not None
    scopes = {REF, user_scope(principal.user_id)}
    for grant in principal.grants_for("unit_staff"):
        if grant.unit_id is not None:
            scopes.add(unit_scope(grant.unit_id))
        else:
            query = select(Unit.id)
            if grant.area_id is not None:
                query = query.where(Unit.area_id == grant.area_id)
            scopes |= {unit_scope(u) for u in (await session.execute(query)).scalars()}
    for grant in principal.grants_for(*GUIDANCE_ROLES):
        if grant.area_id is not None:
            scopes.add(area_scope(grant.area_id))
        elif grant.unit_id is None:
            scopes |= {area_scope(a) for a in (await session.execute(select(Area.id))).scalars()}
    if principal.has_role("coordinator"):
        scopes.add(PLACES)
    if principal.has_role("admin"):
        scopes.add(ADMIN)
    if principal.device_kind == "shared":
        # A shared tablet holds only what its unit needs, whoever is signed in on it (docs/tablets.md,
        # "Privacy"): reference data and its own unit. Not an area's clients, the region's queue or
        # the admin's conflicts, and not `user:` either, which carries a counsellor's contacts, clients and
        # assessments; a conflict on the unit's records is in the unit's scope too.
        own = unit_scope(principal.device_unit_id) if principal.device_unit_id else None
        scopes = {s for s in scopes if s in (own, REF)}
    return scopes
