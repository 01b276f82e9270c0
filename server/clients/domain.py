"""The clients domain's declaration (`server.domain`)."""

from __future__ import annotations

from server.clients import controllers, models, mutations, record_mutations, viewed
from server.domain import Domain

DOMAIN = Domain(
    name="clients",
    summary="Clients (asiakas): the person receiving services and their service relationships to units",
    models=(models,),
    mutations=(mutations, record_mutations, viewed),
    routes=(controllers.ClientsController,),
)
