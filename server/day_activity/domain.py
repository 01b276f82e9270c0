"""The day activity domain's declaration (`server.domain`)."""

from __future__ import annotations

from server.day_activity import anomalies, attendance, controllers, jobs, models, mutations, takers, timeline
from server.day_activity.models import Schedule
from server.domain import Domain
from server.sync.authorisation import client_column

DOMAIN = Domain(
    name="day_activity",
    summary="Day activity (päivätoiminta): schedules, the day's roster, no-show follow-up tasks, attendance, head counts and the attendance-days report",
    uses=("clients", "places"),
    models=(models,),
    mutations=(mutations, attendance),
    routes=(controllers.DayActivityController,),
    jobs=(jobs, anomalies),
    place_takers=(takers.SCHEDULES,),
    timeline=(timeline.ATTENDANCE,),
    client_of={"schedule": client_column(Schedule)},
)
