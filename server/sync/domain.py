"""The sync platform package's declaration (`server.domain`)."""

from __future__ import annotations

from server import signals
from server.domain import Domain
from server.sync import admin, controllers, jobs, models, replicas, stream

DOMAIN = Domain(
    name="sync",
    summary="The sync engine: the change log, scopes, mutation execution, push, pull, pokes and sync health",
    kind="platform",
    models=(models,),
    routes=(controllers.SyncController, stream.SyncStreamController, admin.SyncHealthController),
    jobs=(jobs,),
    listeners={signals.SignedOut: replicas.record_sign_out},
)
