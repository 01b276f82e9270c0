"""Routes of the sync protocol: push, pull, the mutation catalog. Bodies are JSON or MessagePack."""

from __future__ import annotations

import time
from typing import Any, TypeVar

import msgspec
from litestar import Controller, Request, Response, get, post

from server.db import inline_reads
from server.deps import Context, CurrentPrincipal, DbSession
from server.errors import KaariError
from server.sync import health, metrics
from server.sync.mutations import catalog
from server.sync.pull import log_downloads, pull
from server.sync.push import push
from sync_protocol import codec
from sync_protocol.messages import PullRequest, PullResponse, PushRequest, PushResponse

T = TypeVar("T")


async def _read(request: Request[Any, Any, Any], type_: type[T]) -> tuple[T, str]:
    try:
        content_type = codec.media_type(request.headers.get("content-type"))
    except codec.UnsupportedMediaType as exc:
        raise KaariError(str(exc), code="unsupported_media_type", status_code=415) from exc
    try:
        return codec.decode(await request.body(), type_, content_type), content_type
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise KaariError(f"The request body is not valid: {exc}", code="invalid_request") from exc
    except RecursionError as exc:
        raise KaariError("The request body is nested too deeply.", code="invalid_request") from exc


def _reply(body: Any, content_type: str, started: float, histogram: Any) -> Response[bytes]:
    """Encode the answer; `Server-Timing` tells clients and benchmarks the handler's own time."""
    content = codec.encode(body, content_type)
    seconds = time.perf_counter() - started
    histogram.observe(seconds)
    return Response(
        content, media_type=content_type, headers={"Server-Timing": f"app;dur={seconds * 1000:.2f}"}
    )


def _count_mutations(request: PushRequest, response: PushResponse) -> None:
    # Only catalog names become label values: a client cannot grow the metric's cardinality at will.
    names = {m.id: m.name if m.name in catalog else "unknown" for m in request.mutations}
    for result in response.results:
        metrics.MUTATIONS.labels(name=names.get(result.id, "unknown"), status=result.status).inc()


class SyncController(Controller):
    path = "/api/sync/v1"
    tags = ["sync"]

    @post("/push", operation_id="syncPush", status_code=200, response_description="PushResponse")
    async def push(
        self,
        request: Request[Any, Any, Any],
        principal: CurrentPrincipal,
        db_session: DbSession,
        context: Context,
    ) -> Response[bytes]:
        """Send mutations (protocol §3). Each is run once; replays answer from the stored outcome."""
        started = time.perf_counter()
        body, content_type = await _read(request, PushRequest)
        with inline_reads():
            response, changes = await push(db_session, context.settings, principal, body)
            await health.note_push_clock(
                db_session, body.client_id, request.headers.get("x-client-time"), response.server_time
            )
            await db_session.commit()
        # Poke only after the commit: a device that pulls on the poke must find the change.
        await context.pokes.publish(changes.touched_scopes, changes.last_version)
        _count_mutations(body, response)
        return _reply(response, content_type, started, metrics.PUSH_SECONDS)

    @post("/pull", operation_id="syncPull", status_code=200)
    async def pull(
        self,
        request: Request[Any, Any, Any],
        principal: CurrentPrincipal,
        db_session: DbSession,
        context: Context,
    ) -> Response[bytes]:
        """Fetch changes after a cookie (protocol §4); `has_more` means pull again now."""
        started = time.perf_counter()
        body, content_type = await _read(request, PullRequest)
        with inline_reads():  # a page's queries are bounded index scans
            response, client = await pull(db_session, principal, body, cookie_key=context.cookie_key)
            await db_session.commit()
        await log_downloads(db_session, principal, response)
        await health.record_pull(
            db_session, principal, body, response, client, request.headers.get("x-client-time")
        )
        reply = _reply(response, content_type, started, metrics.PULL_SECONDS)
        metrics.PULL_OPS.observe(len(response.ops))
        metrics.PULL_BYTES.observe(len(reply.content))
        return reply

    @get("/catalog", operation_id="syncCatalog")
    async def catalog(self, principal: CurrentPrincipal) -> dict[str, Any]:
        """Every mutation with its version and the JSON Schema of its arguments."""
        return catalog.describe()


# Documented shapes for OpenAPI readers; the routes above encode them by hand to honour Content-Type.
SCHEMAS = (PushRequest, PushResponse, PullRequest, PullResponse)
