"""The queue domain's declaration (`server.domain`)."""

from __future__ import annotations

from server.domain import Domain
from server.queue import access as queue_access
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
from server.queue.models import Offer, QueueEntry
from server.sync.authorisation import client_column

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
    client_bases=(queue_access.coordinator_bases,),
    client_of={"queue_entry": client_column(QueueEntry), "offer": client_column(Offer)},
)
