"""The day activity domain's declaration (`server.domain`)."""

from __future__ import annotations

from server.day_activity import controllers, jobs, models, mutations, takers
from server.domain import Domain

DOMAIN = Domain(
    name="day_activity",
    summary="Day activity (päivätoiminta): schedules, the day's roster, no-show follow-up tasks, head counts and the attendance-days report",
    uses=("attendance", "clients", "places"),
    models=(models,),
    mutations=(mutations,),
    routes=(controllers.DayActivityController,),
    jobs=(jobs,),
    place_takers=(takers.SCHEDULES,),
)
