"""The Litestar app factory: settings → secrets → engine → routes, dependencies and error handlers."""

from __future__ import annotations

import gc
import uuid

from advanced_alchemy.extensions.litestar import (
    AsyncSessionConfig,
    SQLAlchemyAsyncConfig,
    SQLAlchemyPlugin,
)
from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.plugins.prometheus import PrometheusConfig

from notifications import runtime as push_runtime
from server import domains
from server.accounts.principal import Principal, provide_principal
from server.accounts.tokens import TokenService
from server.context import AppContext, provide_context
from server.db import create_engine
from server.errors import EXCEPTION_HANDLERS
from server.http_guard import http_guard_middleware, security_headers
from server.jobs.serving import ServerJobs
from server.keys import read_or_create_secret
from server.logs import configure_logging, request_id_middleware
from server.metrics import MetricsController
from server.probes import healthz, readyz
from server.pwa import pwa
from server.settings import Settings
from server.sync.pokes import Pokes, channels_plugin


def routes() -> list:
    """Health first, the domains' routes, the metrics, and the app's catch-all for deep links last."""
    return [healthz, readyz, *domains.routes(), MetricsController, pwa]


def create_app(settings: Settings | None = None, *, configure_logs: bool = True) -> Litestar:
    settings = settings or Settings.from_env()
    if configure_logs:
        configure_logging(settings.log_level)
    token_secret = settings.token_secret or read_or_create_secret(settings.data_dir, "token-secret")
    domains.load()
    push_runtime.configure(settings)  # first start: the VAPID key is made now
    engine = create_engine(settings)
    channels = channels_plugin(settings)
    pokes = Pokes(channels)
    jobs = ServerJobs(settings, engine, pokes)
    tokens = TokenService(token_secret, settings.access_token_seconds)
    context = AppContext(settings, tokens, engine, pokes, jobs)
    alchemy = SQLAlchemyAsyncConfig(
        engine_instance=engine,
        session_config=AsyncSessionConfig(expire_on_commit=False),
        before_send_handler="autocommit",
        set_default_exception_handler=False,
        # No model stores files: the listener would only cost every commit a walk of the session.
        enable_file_object_listener=False,
    )
    return Litestar(
        route_handlers=routes(),
        plugins=[SQLAlchemyPlugin(config=alchemy), channels],
        dependencies={
            "context": Provide(provide_context, sync_to_thread=False),
            "principal": Provide(provide_principal),
        },
        signature_namespace={"Principal": Principal, "AppContext": AppContext, "uuid": uuid},
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[
            request_id_middleware,
            http_guard_middleware,
            PrometheusConfig(app_name="kaari", group_path=True).middleware,
        ],
        openapi_config=OpenAPIConfig(title="Kaari", version="1", path="/schema"),
        request_max_body_size=settings.max_body_bytes,
        before_send=[security_headers],
        # Pull pages are repetitive JSON: gzip makes a first sync several times smaller on slow links.
        # Level 5 is most of the gain for a fraction of level 9's CPU; the SSE stream must not be buffered.
        compression_config=CompressionConfig(
            backend="gzip", minimum_size=1024, gzip_compress_level=5, exclude=["/api/sync/v1/events"]
        ),
        state=State({"kaari": context}),
        logging_config=None,
        # What is loaded at start (modules, routes, the catalog) lives as long as the process: kept out of
        # the collector's reach, a full collection no longer walks it (pauses of 90-190 ms in the pull tail).
        on_startup=[gc.freeze, jobs.start],
        on_shutdown=[jobs.stop, push_runtime.close, engine.dispose],
        debug=False,
    )
