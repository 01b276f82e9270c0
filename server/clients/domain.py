"""The clients domain's declaration (`server.domain`)."""

from __future__ import annotations

from server.clients import access as client_access
from server.clients import (
    break_glass,
    controllers,
    identity,
    merges,
    models,
    mutations,
    record_mutations,
    viewed,
)
from server.clients.models import ClientService, ClosePerson, Consent
from server.domain import Domain
from server.sync.authorisation import client_column

DOMAIN = Domain(
    name="clients",
    summary="Clients (asiakas): the person receiving services and their service relationships to units",
    models=(models,),
    mutations=(mutations, record_mutations, viewed, break_glass, identity),
    routes=(controllers.ClientsController,),
    client_bases=(client_access.client_bases,),
    client_aliases=(merges.survivors,),
    client_of={
        "close_person": client_column(ClosePerson),
        "consent": client_column(Consent),
        "client_service": client_column(ClientService),
    },
)
