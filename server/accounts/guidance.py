"""Who may see guidance data: the counsellors and supervisors of the area; region-wide ones and admins see
every area. Coordinators and unit staff do not see guidance (access follows task, STM 825/2022)."""

from __future__ import annotations

import uuid

from server.accounts.models import GUIDANCE_ROLES
from server.accounts.principal import Principal
from server.errors import Forbidden


def guidance_role(principal: Principal) -> str:
    """The role a guidance read or write is logged under: counsellor when held, else supervisor."""
    return "counsellor" if principal.has_role("counsellor") else "supervisor"


def guidance_areas(principal: Principal, *, admins: bool) -> set[uuid.UUID] | None:
    """None: every area; else the caller's areas. 403 for everyone else."""
    principal.require_user()
    if admins and principal.has_role("admin"):
        return None
    grants = principal.grants_for(*GUIDANCE_ROLES)
    if any(g.region_wide for g in grants):
        return None
    areas = {g.area_id for g in grants if g.area_id is not None}
    if not areas:
        raise Forbidden("Guidance data is for the counsellors of the area and their supervisors.")
    return areas


def require_area(areas: set[uuid.UUID] | None, area_id: uuid.UUID | None) -> None:
    if areas is not None and area_id is not None and area_id not in areas:
        raise Forbidden("You see the guidance data of your own areas only.")
