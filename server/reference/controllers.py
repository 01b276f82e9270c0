"""Routes: the reference data a signed-in user's app needs to show names and pick codes."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Controller, get
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.deps import CurrentPrincipal, DbSession
from server.reference.models import Area, CodeList, Municipality, ServicePoint, Unit


class AreaOut(msgspec.Struct):
    id: uuid.UUID
    code: str
    labels: dict[str, str]


class MunicipalityOut(msgspec.Struct):
    id: uuid.UUID
    code: str
    labels: dict[str, str]
    area_id: uuid.UUID


class UnitOut(msgspec.Struct):
    id: uuid.UUID
    code: str
    labels: dict[str, str]
    kind: str
    area_id: uuid.UUID
    municipality_id: uuid.UUID
    address: str
    capacity: int
    weekday_capacity: dict[str, int] | None
    opening_days: list[str] | None


class ServicePointOut(msgspec.Struct):
    id: uuid.UUID
    code: str
    labels: dict[str, str]
    area_id: uuid.UUID
    municipality_id: uuid.UUID
    address: str


class CodeListOut(msgspec.Struct):
    id: str
    version: int
    labels: dict[str, str]
    codes: list[dict[str, Any]]


class ReferenceOut(msgspec.Struct):
    areas: list[AreaOut]
    municipalities: list[MunicipalityOut]
    units: list[UnitOut]
    service_points: list[ServicePointOut]
    code_lists: list[CodeListOut]


async def _all(session: AsyncSession, model: Any, out: type[msgspec.Struct], order: Any) -> list[Any]:
    rows = (await session.execute(select(model).order_by(order))).scalars()
    return [msgspec.convert(row, out, from_attributes=True) for row in rows]


class ReferenceController(Controller):
    path = "/api/reference"
    tags = ["reference"]

    @get("/", operation_id="getReference")
    async def reference(self, principal: CurrentPrincipal, db_session: DbSession) -> ReferenceOut:
        """Areas, municipalities, units, service points and code lists with fi/sv/en labels."""
        return ReferenceOut(
            areas=await _all(db_session, Area, AreaOut, Area.code),
            municipalities=await _all(db_session, Municipality, MunicipalityOut, Municipality.code),
            units=await _all(db_session, Unit, UnitOut, Unit.code),
            service_points=await _all(db_session, ServicePoint, ServicePointOut, ServicePoint.code),
            code_lists=await _all(db_session, CodeList, CodeListOut, CodeList.id),
        )
