"""The jobs platform package's declaration (`server.domain`)."""

from __future__ import annotations

from server.domain import Domain
from server.jobs import controllers, housekeeping, models

DOMAIN = Domain(
    name="jobs",
    summary="Background jobs: the outbox, the registry of job bodies, and the two runners of the same jobs",
    kind="platform",
    models=(models,),
    routes=(controllers.JobsAdminController,),
    jobs=(housekeeping,),
)
