"""The conflicts platform package's declaration (`server.domain`)."""

from __future__ import annotations

from server.conflicts import access as conflict_access
from server.conflicts import models, mutations
from server.domain import Domain

DOMAIN = Domain(
    name="conflicts",
    summary="Conflicts: contested `manual` fields kept with both values until a person resolves them (protocol §6)",
    kind="platform",
    models=(models,),
    mutations=(mutations,),
    client_bases=(conflict_access.admin_bases,),
    client_of={"conflict": conflict_access.clients_of_conflicts},
)
