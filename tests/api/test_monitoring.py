"""The Grafana dashboard and the alert rules in docs/monitoring/ use only metrics Kaari exposes.

A renamed or removed metric would leave a panel empty and an alert silent, which nobody notices until it
is needed; this test notices.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from litestar.testing import AsyncTestClient
from prometheus_client import REGISTRY

from server.app import create_app
from tests.conftest import make_settings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "monitoring"
METRIC = re.compile(r"\b((?:kaari|litestar|process)_[a-z_]+)")
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def _exposed() -> set[str]:
    names = set()
    for family in REGISTRY.collect():
        names.add(family.name)
        names.update(family.name + s for s in SUFFIXES.get(family.type, ()))
    return names


async def test_dashboard_and_alerts_name_only_exposed_metrics(tmp_path: Path, sqlite_template: Path) -> None:
    settings = make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'kaari.sqlite3'}")
    shutil.copy(sqlite_template, tmp_path / "kaari.sqlite3")
    async with AsyncTestClient(app=create_app(settings, configure_logs=False)) as client:
        # Litestar makes its request metrics at the first request.
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/metrics")).status_code == 200
    exposed = _exposed()

    dashboard = json.loads((DOCS / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    alerts = (DOCS / "prometheus-alerts.yml").read_text()
    used = {m for text in [*exprs, alerts] for m in METRIC.findall(text)}
    assert used, "no metric found in docs/monitoring"
    assert used - exposed == set()
    # What the operator was promised a panel for (docs/deployment.md, Monitoring).
    for wanted in (
        "kaari_sync_pull_seconds_bucket",
        "kaari_push_attempts_total",
        "kaari_jobs_outbox_oldest_pending_seconds",
        "kaari_jobs_queue_depth",
        "kaari_push_send_seconds_bucket",
        "kaari_sync_stale_devices",
    ):
        assert any(wanted in e for e in exprs), wanted
