"""The queue domain's declaration (`server.domain`)."""

from __future__ import annotations

from server.domain import Domain
from server.queue import (
    controllers,
    jobs,
    meeting_controllers,
    models,
    mutations,
    report_controllers,
    takers,
    timeline,
)

DOMAIN = Domain(
    name="queue",
    summary="Referrals, the placement queue and place offers (SAS: selvitä-arvioi-sijoita)",
    uses=("clients", "places"),
    models=(models,),
    mutations=(mutations,),
    routes=(
        controllers.PlacesBoardController,
        controllers.QueueController,
        report_controllers.QueueStatisticsController,
        meeting_controllers.SasMeetingController,
    ),
    jobs=(jobs,),
    place_takers=(takers.OFFERS,),
    timeline=(timeline.QUEUE,),
)
