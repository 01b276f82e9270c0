"""The accounts platform package's declaration (`server.domain`)."""

from __future__ import annotations

from server.accounts import controllers, devices, models
from server.domain import Domain

DOMAIN = Domain(
    name="accounts",
    summary="Accounts: staff users, their role assignments, sign-in sessions and tokens",
    kind="platform",
    models=(models, devices),
    routes=(controllers.AuthController, controllers.UsersController),
)
