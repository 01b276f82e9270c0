"""The tasks platform package's declaration (`server.domain`)."""

from __future__ import annotations

from server.domain import Domain
from server.sync.authorisation import client_column
from server.tasks import controllers, models, mutations
from server.tasks.models import Task

DOMAIN = Domain(
    name="tasks",
    summary="Tasks: work assigned to a named role in a unit or area (follow-ups, reconciliation findings)",
    kind="platform",
    models=(models,),
    mutations=(mutations,),
    routes=(controllers.TasksController,),
    client_of={"task": client_column(Task)},
)
