"""The assessments domain's declaration (`server.domain`)."""

from __future__ import annotations

from server.assessments import access as assessment_access
from server.assessments import controllers, jobs, models, mutations, statistics_controllers, timeline
from server.assessments.models import Assessment, RaiAssessment
from server.domain import Domain
from server.sync.authorisation import client_column

DOMAIN = Domain(
    name="assessments",
    summary="Service-needs assessments (PTA): contact → assessment → decision → service start, RAI results, deadlines",
    uses=("clients", "contacts", "queue"),
    models=(models,),
    mutations=(mutations,),
    routes=(controllers.AssessmentsController, statistics_controllers.AssessmentStatisticsController),
    jobs=(jobs,),
    timeline=(timeline.ASSESSMENTS,),
    client_of={"assessment": client_column(Assessment), "rai": client_column(RaiAssessment)},
    client_bases=(assessment_access.counsellor_bases,),
)
