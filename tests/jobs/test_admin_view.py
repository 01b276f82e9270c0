"""`GET /api/admin/jobs` and the jobs' Prometheus metrics: what an admin needs to see, and only admins."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import insert

from server.app import create_app
from server.db import utcnow
from server.jobs import registry
from server.jobs.models import OutboxRow
from server.jobs.status import FAILED_SHOWN
from tests.conftest import bearer, sign_in
from tests.jobs.conftest import wait_for

JOBS = "/api/admin/jobs"


async def admin_report(client) -> dict:
    admin = await sign_in(client, "admin")
    response = await client.get(JOBS, headers=bearer(admin["access_token"]))
    assert response.status_code == 200, response.text
    return response.json()


async def rows(db, *specs: dict) -> None:
    now = utcnow()
    base = {
        "key": "k",
        "waiting_key": None,
        "status": "pending",
        "run_at": now,
        "attempts": 0,
        "created_at": now,
    }
    await db.execute(insert(OutboxRow), [{**base, **spec} for spec in specs])
    await db.commit()


@pytest.mark.parametrize("backend", ["sqlite"])  # authorisation has no database-specific code
async def test_the_jobs_view_is_for_admins_only(client):
    for username in ("kotas", "ohjaaja", "paiva", "hoiva"):
        user = await sign_in(client, username)
        response = await client.get(JOBS, headers=bearer(user["access_token"]))
        assert response.status_code == 403, username
        assert response.json() == {
            "code": "forbidden",
            "message": "This needs the role admin.",
            "details": {},
        }
    assert (await client.get(JOBS)).status_code == 401
    assert (await admin_report(client))["mode"] == "off"


async def test_admin_sees_running_retrying_failed_last_runs_and_backlog(client, db):
    now = utcnow()
    await rows(
        db,
        # expire_offers: a run done a minute ago, and the current one under way.
        {
            "job": "queue.expire_offers",
            "key": "cron:a",
            "status": "done",
            "attempts": 1,
            "started_at": now - timedelta(minutes=1),
            "finished_at": now - timedelta(seconds=59),
        },
        {"job": "queue.expire_offers", "key": "cron:b", "attempts": 1, "started_at": now},
        # a nightly run that failed for good, and one waiting for its next try.
        {
            "job": "places.move_free_places_window",
            "key": "cron:c",
            "status": "failed",
            "attempts": 5,
            "started_at": now - timedelta(hours=2),
            "finished_at": now - timedelta(hours=2),
            "error": "OperationalError: database is locked",
        },
        {
            "job": "queue.refresh_queues",
            "key": "cron:d",
            "attempts": 1,
            "run_at": now + timedelta(minutes=2),
            "error": "OperationalError: connection lost",
        },
        # work waiting: one due for ten minutes, and one lost with its worker (started long ago).
        {"job": "jobs.prune_outbox", "key": "x", "created_at": now - timedelta(minutes=10)},
        {"job": "jobs.prune_outbox", "key": "y", "attempts": 1, "started_at": now - timedelta(hours=1)},
    )
    report = await admin_report(client)
    assert (report["mode"], report["queue_depth"], report["worker"]) == ("off", None, None)
    assert [(r["job"], r["key"]) for r in report["running"]] == [("queue.expire_offers", "cron:b")]
    assert [(r["key"], r["error"]) for r in report["retrying"]] == [
        ("cron:d", "OperationalError: connection lost")
    ]
    assert [(r["key"], r["attempts"], r["error"]) for r in report["failed"]] == [
        ("cron:c", 5, "OperationalError: database is locked")
    ]
    assert report["failed_total"] == 1
    scheduled = {s["job"]: s for s in report["scheduled"]}
    assert scheduled["queue.expire_offers"]["schedule"] == "every minute"
    assert scheduled["places.move_free_places_window"]["schedule"] == "daily at 00:05 (Finnish time)"
    assert scheduled["queue.expire_offers"]["last_run"]["key"] == "cron:b", "the run under way is the last"
    assert scheduled["queue.expire_offers"]["last_success_at"] is not None
    assert scheduled["places.move_free_places_window"]["last_run"]["status"] == "failed"
    assert scheduled["places.move_free_places_window"]["last_success_at"] is None
    assert scheduled["queue.refresh_queues"]["last_run"] is None, "never started"
    backlog = report["outbox"]
    assert backlog["pending"] == 4
    assert backlog["by_job"] == {"jobs.prune_outbox": 2, "queue.expire_offers": 1, "queue.refresh_queues": 1}
    assert backlog["due"] == 2, "the waiting row and the lost one; not the running one nor the retry"
    assert 600 <= backlog["oldest_pending_seconds"] < 700

    metrics = (await client.get("/metrics")).text
    for line in (
        'kaari_jobs_outbox_pending{job="jobs.prune_outbox"} 2.0',
        "kaari_jobs_outbox_due 2.0",
        "kaari_jobs_running 1.0",
        "kaari_jobs_retrying 1.0",
        "kaari_jobs_failed 1.0",
        "kaari_jobs_worker_up 0.0",
        'kaari_jobs_last_run_timestamp_seconds{job="queue.expire_offers"}',
        'kaari_jobs_last_success_timestamp_seconds{job="queue.expire_offers"}',
    ):
        assert line in metrics, line
    assert "kaari_jobs_outbox_oldest_pending_seconds 6" in metrics


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_failed_rows_shown_are_limited_and_counted(client, db):
    now = utcnow()
    await rows(
        db,
        *[
            {
                "job": "jobs.prune_outbox",
                "key": f"k{i}",
                "status": "failed",
                "attempts": 1,
                "error": f"e{i}",
                "finished_at": now - timedelta(seconds=i),
            }
            for i in range(FAILED_SHOWN + 1)
        ],
    )
    report = await admin_report(client)
    assert report["failed_total"] == FAILED_SHOWN + 1
    assert [r["error"] for r in report["failed"]] == [f"e{i}" for i in range(FAILED_SHOWN)], "newest first"


@pytest.mark.parametrize("backend", ["sqlite"])  # the runner is the same on both (tests/jobs/test_runner.py)
async def test_single_node_server_runs_the_jobs_itself(demo):
    """`kaari serve` without REDIS_URL: the scheduled jobs that run at start run in the server's loop."""
    app = create_app(replace(demo, run_jobs=True), configure_logs=False)
    async with AsyncTestClient(app=app) as client:

        async def started_jobs_done() -> dict | None:
            report = await admin_report(client)
            runs = {s["job"]: s["last_run"] for s in report["scheduled"]}
            at_start = [s.name for s in registry.scheduled() if s.cron.at_startup]
            done = all(runs[j] and runs[j]["status"] == "done" for j in at_start)
            # What they asked for (the deadline watcher's notifications) has run too.
            return report if done and report["queue_depth"] == 0 else None

        report = await wait_for(started_jobs_done, "the jobs that run at start")
        assert (report["mode"], report["worker"], report["queue_depth"]) == ("in-process", "in-process", 0)
        assert report["failed"] == [] and report["retrying"] == []
