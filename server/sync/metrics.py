"""Prometheus metrics of the sync engine, exposed at `/metrics` with Litestar's own HTTP metrics.

They live in prometheus_client's default registry (the one `PrometheusController` renders), are created
once per process, and are observed by the sync routes in `server.sync.controllers` and by `Pokes`.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

_SERVER_TIME_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_BYTES_BUCKETS = (256, 1024, 4096, 16384, 65536, 262144, 524288, 1048576, 4194304)
_OPS_BUCKETS = (0, 1, 5, 10, 50, 100, 500, 1000, 5000)

PUSH_SECONDS = Histogram(
    "kaari_sync_push_seconds", "Server time of one push request.", buckets=_SERVER_TIME_BUCKETS
)
PULL_SECONDS = Histogram(
    "kaari_sync_pull_seconds", "Server time of one pull request (one page).", buckets=_SERVER_TIME_BUCKETS
)
MUTATIONS = Counter(
    "kaari_sync_mutations", "Mutations received by push, by name and outcome.", ["name", "status"]
)
PULL_BYTES = Histogram(
    "kaari_sync_pull_response_bytes", "Encoded size of one pull response.", buckets=_BYTES_BUCKETS
)
PULL_OPS = Histogram("kaari_sync_pull_response_ops", "Ops in one pull response.", buckets=_OPS_BUCKETS)
POKES = Counter("kaari_sync_pokes", "Pokes published, one per touched scope channel.")
STALE_DEVICES = Gauge(
    "kaari_sync_stale_devices",
    "Devices not synced for KAARI_STALE_AFTER_MINUTES with mutations waiting (read at each scrape).",
)
