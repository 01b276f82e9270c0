"""The tasks platform package's declaration (`server.domain`)."""

from __future__ import annotations

from server.domain import Domain
from server.tasks import controllers, models, mutations

DOMAIN = Domain(
    name="tasks",
    summary="Tasks: work assigned to a named role in a unit or area (follow-ups, reconciliation findings)",
    kind="platform",
    models=(models,),
    mutations=(mutations,),
    routes=(controllers.TasksController,),
)
