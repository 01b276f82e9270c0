"""The reference platform package's declaration (`server.domain`)."""

from __future__ import annotations

from server.domain import Domain
from server.reference import controllers, models

DOMAIN = Domain(
    name="reference",
    summary="Reference data: areas, municipalities, units, service points and code lists (the `ref` scope)",
    kind="platform",
    models=(models,),
    routes=(controllers.ReferenceController,),
)
