"""The applications domain's declaration (`server.domain`)."""

from __future__ import annotations

from server.applications import access as application_access
from server.applications import controllers, jobs, models, mutations, timeline
from server.applications.models import Application
from server.domain import Domain
from server.sync.authorisation import client_column

DOMAIN = Domain(
    name="applications",
    summary="Applications (hakemukset): received, handled, decided; counted per handler",
    uses=("assessments", "clients"),
    models=(models,),
    mutations=(mutations,),
    routes=(controllers.ApplicationStatisticsController,),
    jobs=(jobs,),
    timeline=(timeline.APPLICATIONS,),
    client_of={"application": client_column(Application)},
    client_bases=(application_access.handler_bases,),
)
