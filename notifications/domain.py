"""The notifications' declaration (`server.domain`): Web Push and the in-app inbox, listening to the domains'
signals (`server.signals`)."""

from __future__ import annotations

from notifications import controllers, jobs, models, mutations, triggers
from server.domain import Domain

DOMAIN = Domain(
    name="notifications",
    summary="Web Push to coordinators and the in-app inbox, from the domains' signals",
    uses=("applications", "assessments", "clients", "places", "queue"),
    models=(models,),
    mutations=(mutations,),
    routes=(controllers.NotificationsController,),
    jobs=(jobs,),
    listeners=triggers.LISTENERS,
)
