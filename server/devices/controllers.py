"""Routes: enrolling a tablet, the admin's device list, enrolment codes and revocation."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK
from sqlalchemy import select

from server.accounts.devices import Device
from server.context import client_address
from server.deps import Context, CurrentPrincipal, DbSession
from server.devices import service


class EnrolRequest(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


class NewEnrolmentCode(msgspec.Struct, forbid_unknown_fields=True):
    unit_id: uuid.UUID
    device_name: Annotated[str, msgspec.Meta(min_length=1, max_length=120)]


class DeviceOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    name: str
    unit_id: uuid.UUID | None
    owner_user_id: uuid.UUID | None
    created_at: datetime
    last_seen_at: datetime | None
    revoked_at: datetime | None


def device_out(d: Device) -> DeviceOut:
    return DeviceOut(
        d.id, d.kind, d.name, d.unit_id, d.owner_user_id, d.created_at, d.last_seen_at, d.revoked_at
    )


class DevicesController(Controller):
    path = "/api/devices"
    tags = ["devices"]

    @post("/enroll", operation_id="enrollDevice", status_code=HTTP_200_OK)
    async def enroll(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[EnrolRequest],
        db_session: DbSession,
        context: Context,
    ) -> service.EnrolledDevice:
        """Trade an admin's one-time enrolment code for this tablet's device credential."""
        return await service.enroll(db_session, context.settings, data.code, client_address(request))

    @get("/me", operation_id="thisDevice")
    async def me(self, principal: CurrentPrincipal, db_session: DbSession) -> DeviceOut:
        """The device this call came from."""
        device = await db_session.get(Device, principal.device_id)
        assert device is not None
        return device_out(device)


class AdminDevicesController(Controller):
    path = "/api/admin/devices"
    tags = ["admin"]

    @get("/", operation_id="listDevices")
    async def list_devices(self, principal: CurrentPrincipal, db_session: DbSession) -> list[DeviceOut]:
        """Every device, newest first (admin)."""
        principal.require_role("admin")
        devices = (
            (await db_session.execute(select(Device).order_by(Device.created_at.desc()))).scalars().all()
        )
        return [device_out(d) for d in devices]

    @post("/enrolment-codes", operation_id="createEnrolmentCode")
    async def create_code(
        self,
        data: JSONBody[NewEnrolmentCode],
        principal: CurrentPrincipal,
        db_session: DbSession,
        context: Context,
    ) -> service.EnrolmentCodeOut:
        """A one-time code that enrols one tablet to a unit (admin)."""
        principal.require_role("admin")
        name = service.validate_device_name(data.device_name)
        return await service.create_enrolment_code(
            db_session, context.settings, data.unit_id, name, principal.require_user()
        )

    @post("/{device_id:uuid}/revoke", operation_id="revokeDevice", status_code=HTTP_200_OK)
    async def revoke(
        self, device_id: FromPath[uuid.UUID], principal: CurrentPrincipal, db_session: DbSession
    ) -> DeviceOut:
        """Revoke a device: every later call from it is told to erase its data (admin)."""
        principal.require_role("admin")
        return device_out(await service.revoke(db_session, device_id, principal.require_user()))
