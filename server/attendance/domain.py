"""The attendance domain's declaration (`server.domain`)."""

from __future__ import annotations

from server.attendance import models, mutations, timeline
from server.domain import Domain

DOMAIN = Domain(
    name="attendance",
    summary="Attendance (läsnäolo) in day activity: check-in, check-out and absences, one record per client/unit/date",
    uses=("clients", "day_activity", "places"),
    models=(models,),
    mutations=(mutations,),
    timeline=(timeline.ATTENDANCE,),
)
