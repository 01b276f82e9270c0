"""The statistics platform package's declaration (`server.domain`)."""

from __future__ import annotations

from server.domain import Domain
from server.statistics import marks, models, snapshots

DOMAIN = Domain(
    name="statistics",
    summary="Statistics snapshots of closed months, and the marks that late changes leave on them",
    kind="platform",
    models=(models,),
    jobs=(snapshots,),
    change_observers=(marks,),
)
