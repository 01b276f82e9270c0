"""The import's declaration (`server.domain`): the tables an import remembers; no mutations or routes."""

from __future__ import annotations

from server.domain import Domain
from server.sbm_import import models

DOMAIN = Domain(
    name="sbm_import",
    summary="Import from the five regional systems: source ids, identity codes, possible duplicates",
    uses=("clients", "contacts", "day_activity", "places", "queue"),
    models=(models,),
)
