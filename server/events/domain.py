"""The events domain's declaration (`server.domain`)."""

from __future__ import annotations

from server.domain import Domain
from server.events import controllers, models, mutations, timeline

DOMAIN = Domain(
    name="events",
    summary="Events (tapahtumat): guidance events and info sessions, their participant counts and named participants",
    uses=("clients",),
    models=(models,),
    mutations=(mutations,),
    routes=(controllers.EventsController,),
    timeline=(timeline.EVENTS,),
)
