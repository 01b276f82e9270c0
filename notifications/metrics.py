"""Prometheus metrics of Web Push, exposed at `/metrics` (prometheus_client's default registry).

`kaari_push_rejected_total` is the one to alert on: a push service refusing our VAPID signature (401/403)
means nobody gets pushes from it, and it is never answered by deleting subscriptions.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

ATTEMPTS = Counter("kaari_push_attempts", "HTTP attempts to push services, by outcome.", ["outcome"])
REJECTED = Counter(
    "kaari_push_rejected",
    "Pushes a push service refused with 401/403 (our VAPID key or subject), by push-service host.",
    ["host"],
)
PRUNED = Counter("kaari_push_subscriptions_pruned", "Subscriptions deleted after a 404/410.")
SEND_SECONDS = Histogram(
    "kaari_push_send_seconds",
    "Time of one HTTP attempt to a push service.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
