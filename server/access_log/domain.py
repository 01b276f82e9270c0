"""The access log platform package's declaration (`server.domain`)."""

from __future__ import annotations

from server.access_log import controllers, models
from server.domain import Domain

DOMAIN = Domain(
    name="access_log",
    summary="The access log (lokitiedot): every read and write of client data, append-only and hash-chained",
    kind="platform",
    models=(models,),
    routes=(controllers.AccessLogController,),
)
