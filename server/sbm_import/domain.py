"""The import's declaration (`server.domain`): the tables an import remembers, the duplicates it finds and
the merge that decides them (`client.merge`), with the admin's routes."""

from __future__ import annotations

from server.domain import Domain
from server.sbm_import import controllers, merge, models

DOMAIN = Domain(
    name="sbm_import",
    summary="Import from the five regional systems: source ids, possible duplicates, merging clients",
    uses=("clients", "contacts", "day_activity", "places", "queue"),
    models=(models,),
    mutations=(merge,),
    routes=(controllers.DuplicatesController,),
    client_bases=(merge.admin_bases,),
)
