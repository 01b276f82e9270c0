"""The jobs as Prometheus metrics, on the app's `/metrics`: the admin view's figures, read at each scrape.

They are gauges read from the outbox (and the queue), not counters of this process, so every web process
reports the same figures whichever process (web or `kaari worker`) ran the jobs. Alert on, for example,
`kaari_jobs_outbox_oldest_pending_seconds > 600` (work is not getting done), `kaari_jobs_worker_up == 0`
with Redis, a growing `kaari_jobs_failed`, or `time() - kaari_jobs_last_success_timestamp_seconds` above
a scheduled job's period.
"""

from __future__ import annotations

from datetime import timedelta

from litestar import Response, get
from litestar.plugins.prometheus import PrometheusController
from prometheus_client import Gauge

from server.db import utcnow
from server.deps import Context, DbSession
from server.jobs.status import JobsReport
from server.places.jobs import observe_repaired
from server.sync.health import stale_devices
from server.sync.metrics import STALE_DEVICES

OUTBOX_PENDING = Gauge("kaari_jobs_outbox_pending", "Outbox rows waiting to be done, by job.", ["job"])
OUTBOX_DUE = Gauge("kaari_jobs_outbox_due", "Outbox rows due now and not running.")
OUTBOX_OLDEST = Gauge("kaari_jobs_outbox_oldest_pending_seconds", "Age of the oldest pending outbox row.")
QUEUE_DEPTH = Gauge("kaari_jobs_queue_depth", "Jobs waiting in the queue (arq in Redis, or in-process).")
RUNNING = Gauge("kaari_jobs_running", "Job runs under way.")
RETRYING = Gauge("kaari_jobs_retrying", "Rows waiting for another try after a passing failure.")
FAILED = Gauge("kaari_jobs_failed", "Rows failed for good in the last 30 days.")
WORKER_UP = Gauge("kaari_jobs_worker_up", "1 if a job runner reported lately (the arq health check).")
LAST_RUN = Gauge("kaari_jobs_last_run_timestamp_seconds", "Start of a scheduled job's last run.", ["job"])
LAST_SUCCESS = Gauge(
    "kaari_jobs_last_success_timestamp_seconds", "End of a scheduled job's last successful run.", ["job"]
)


def observe(report: JobsReport) -> None:
    OUTBOX_PENDING.clear()
    for job, count in report.outbox.by_job.items():
        OUTBOX_PENDING.labels(job=job).set(count)
    OUTBOX_DUE.set(report.outbox.due)
    OUTBOX_OLDEST.set(report.outbox.oldest_pending_seconds or 0)
    QUEUE_DEPTH.set(report.queue_depth or 0)
    RUNNING.set(len(report.running))
    RETRYING.set(len(report.retrying))
    FAILED.set(report.failed_total)
    WORKER_UP.set(1 if report.worker else 0)
    for scheduled in report.scheduled:
        last = scheduled.last_run
        if last and last.started_at:
            LAST_RUN.labels(job=scheduled.job).set(last.started_at.timestamp())
        if scheduled.last_success_at:
            LAST_SUCCESS.labels(job=scheduled.job).set(scheduled.last_success_at.timestamp())


class MetricsController(PrometheusController):
    """`/metrics`: Litestar's HTTP metrics, the sync engine's, and the jobs' (refreshed first)."""

    @get(operation_id="metrics", tags=["ops"])
    async def get(self, db_session: DbSession, context: Context) -> Response:  # type: ignore[override]
        now = utcnow()
        observe(await context.jobs.report(db_session, now))
        # Read like the jobs' figures, so every web process reports it whichever process sends the alerts.
        stale_after = timedelta(minutes=context.settings.stale_after_minutes)
        STALE_DEVICES.set(len(await stale_devices(db_session, now, stale_after)))
        await observe_repaired(db_session)
        return await PrometheusController.get.fn(self)
