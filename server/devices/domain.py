"""The devices platform package's declaration (`server.domain`)."""

from __future__ import annotations

from server.devices import controllers
from server.domain import Domain

DOMAIN = Domain(
    name="devices",
    summary="Devices: shared tablets enrolled to a unit, personal devices registered on sign-in, revocation",
    kind="platform",
    routes=(controllers.DevicesController, controllers.AdminDevicesController),
)
