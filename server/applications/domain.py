"""The applications domain's declaration (`server.domain`)."""

from __future__ import annotations

from server.applications import controllers, jobs, models, mutations, timeline
from server.domain import Domain

DOMAIN = Domain(
    name="applications",
    summary="Applications (hakemukset): received, handled, decided; counted per handler",
    uses=("assessments", "clients"),
    models=(models,),
    mutations=(mutations,),
    routes=(controllers.ApplicationStatisticsController,),
    jobs=(jobs,),
    timeline=(timeline.APPLICATIONS,),
)
