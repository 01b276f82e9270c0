"""The places domain's declaration (`server.domain`)."""

from __future__ import annotations

from server.domain import Domain
from server.places import (
    anomalies,
    in_care_controllers,
    jobs,
    models,
    mutations,
    report_controllers,
    reports,
    series,
    timeline,
)
from server.places.models import Residency, Stay, StaySeries
from server.sync.authorisation import client_column

DOMAIN = Domain(
    name="places",
    summary="Units and capacity: short-term stays, 24h-housing residencies, capacity changes and free places",
    uses=("clients",),
    models=(models,),
    mutations=(mutations, series),
    routes=(report_controllers.PlacesStatisticsController, in_care_controllers.InCareController),
    jobs=(jobs, anomalies),
    snapshot_reports=reports.SNAPSHOT_REPORTS,
    timeline=(timeline.STAYS,),
    client_of={
        "stay": client_column(Stay),
        "residency": client_column(Residency),
        "series": client_column(StaySeries),
    },
)
