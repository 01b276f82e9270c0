"""Sending pushes against a real HTTP push service that answers as scripted: every answer handled as
specified, every attempt recorded, nothing sent twice, concurrency bounded."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta

import msgspec
import pytest
from sqlalchemy import delete, select, update

from notifications import metrics, runtime
from notifications.delivery import MAX_ATTEMPTS, cancel_orphans, deliver, expire_stale
from notifications.inbox import Audience, Draft, store
from notifications.jobs import send
from notifications.models import Notification, PushAttempt, PushDelivery, PushSubscription
from notifications.payload import MAX_PAYLOAD_BYTES
from notifications.vapid import load_keys
from server.db import begin_write, utcnow
from server.jobs.models import OutboxRow
from server.sync.changes import ChangeSet
from tests.notifications.push_services import always, first_then


async def notify(
    sessions, user_id, *, key=None, ttl=3600, urgency="high", ids=None, topic=None
) -> Notification:
    """A notification to the user, stored as a job stores it (with its deliveries)."""
    draft = Draft(
        user_id=uuid.UUID(str(user_id)),
        username=None,
        key=key or f"test:{uuid.uuid4()}",
        kind="referral",
        title="Uusi lähete: Ympärivuorokautinen hoito, Oulu",
        body="Kiireellinen, MAPLe 5, saapunut 1.12.2026.",
        url="/kotas?tab=queue",
        tag="referral:x",
        ids=ids or {"referral_id": "r1"},
        urgency=urgency,
        ttl=ttl,
        topic=topic,
        audience=Audience("referral"),
    )
    async with sessions() as session:
        changes = ChangeSet()
        await begin_write(session)
        stored = await store(session, changes, [draft], utcnow())
        await changes.flush(session)
        await session.commit()
    return stored[0] if stored else None


async def run_send(sessions, ids=None):
    async with sessions() as session:
        return await send(session, ids, utcnow(), ChangeSet())


async def deliveries(sessions):
    async with sessions() as session:
        rows = (await session.execute(select(PushDelivery).order_by(PushDelivery.created_at))).scalars().all()
        attempts = (await session.execute(select(PushAttempt).order_by(PushAttempt.id))).scalars().all()
        subs = (await session.execute(select(PushSubscription))).scalars().all()
        return rows, attempts, subs


@pytest.fixture
async def kotas(signed_in):
    return await signed_in("kotas")


async def test_accepted_push_carries_the_contract_and_is_never_sent_again(
    kotas, fake_push, sessions, push_settings
):
    sub = fake_push.subscription("ok")
    await kotas.subscribe(sub.json())
    made = await notify(sessions, kotas.id, topic="fp-abc")
    report = await run_send(sessions, [made.id])
    assert (report.accepted, report.sent) == (1, 1)
    [got] = fake_push.requests(sub.path)
    payload = msgspec.json.decode(got.plaintext)
    assert payload == {
        "v": 1,
        "id": str(made.id),
        "kind": "referral",
        "title": made.title,
        "body": made.body,
        "tag": "referral:x",
        "url": "/kotas?tab=queue",
        "ids": {"referral_id": "r1"},
        "revision": 1,
        "created_at": made.created_at.isoformat(),
        "renotify": False,
    }
    assert got.headers["Content-Encoding"] == "aes128gcm" and got.headers["Urgency"] == "high"
    assert 3590 <= int(got.headers["TTL"]) <= 3600 and got.headers["Topic"] == "fp-abc"
    key = load_keys(push_settings).public_key
    assert got.headers["Authorization"].startswith("vapid t=") and got.headers["Authorization"].endswith(
        f",k={key}"
    )
    rows, attempts, subs = await deliveries(sessions)
    assert [(r.status, r.attempts, r.status_code) for r in rows] == [("accepted", 1, 201)]
    assert [(a.outcome, a.status_code) for a in attempts] == [("accepted", 201)]
    assert subs[0].last_success_at is not None
    # The job again, or any other run: the delivery key and the claim keep it from going twice.
    again = await run_send(sessions, [made.id])
    assert again.sent == 0 and len(fake_push.requests(sub.path)) == 1


@pytest.mark.parametrize("status", [404, 410])
async def test_gone_subscription_is_deleted_and_others_are_kept(status, kotas, fake_push, sessions):
    dead, alive = fake_push.subscription("dead", always(status)), fake_push.subscription("alive")
    await kotas.subscribe(dead.json())
    await kotas.subscribe(alive.json())
    pruned = metrics.PRUNED._value.get()
    report = await run_send(sessions, [(await notify(sessions, kotas.id)).id])
    assert (report.gone, report.accepted) == (1, 1)
    rows, _, subs = await deliveries(sessions)
    assert [s.endpoint for s in subs] == [alive.endpoint]
    assert sorted((r.status, r.status_code) for r in rows) == sorted([("gone", status), ("accepted", 201)])
    assert next(r for r in rows if r.status == "gone").subscription_id is None, "history kept, link gone"
    assert metrics.PRUNED._value.get() == pruned + 1


async def test_payload_refused_413_fails_without_retry_or_deletion(kotas, fake_push, sessions):
    sub = fake_push.subscription("big", always(413))
    await kotas.subscribe(sub.json())
    report = await run_send(sessions, [(await notify(sessions, kotas.id)).id])
    assert (report.failed, report.retry, report.next_retry) == (1, 0, None)
    rows, _, subs = await deliveries(sessions)
    assert rows[0].status == "failed" and rows[0].reason.startswith("413") and len(subs) == 1


async def test_429_waits_for_retry_after_then_delivers(kotas, fake_push, sessions):
    sub = fake_push.subscription("busy", first_then(429, 201, {"Retry-After": "1"}))
    await kotas.subscribe(sub.json())
    made = await notify(sessions, kotas.id)
    started = utcnow()
    report = await run_send(sessions, [made.id])
    answered = utcnow()
    assert report.retry == 1 and report.next_retry is not None
    assert started + timedelta(seconds=0.9) <= report.next_retry <= answered + timedelta(seconds=1.5)
    async with sessions() as session:
        asked = (
            await session.execute(select(OutboxRow).where(OutboxRow.job == "notifications.deliver"))
        ).scalar_one()
        assert (
            asked.run_at == report.next_retry.replace(microsecond=asked.run_at.microsecond)
            or asked.run_at >= started
        )
    assert (await run_send(sessions)).sent == 0, "not before Retry-After"
    deadline = time.monotonic() + 10
    while (await run_send(sessions)).accepted == 0:
        assert time.monotonic() < deadline, "the retry never went"
        await asyncio.sleep(0.1)
    gaps = [r.at for r in fake_push.requests(sub.path)]
    assert [r.status for r in fake_push.requests(sub.path)] == [429, 201] and gaps[1] - gaps[0] >= 0.95
    rows, attempts, _ = await deliveries(sessions)
    assert [(a.outcome, a.status_code) for a in attempts] == [("retry", 429), ("accepted", 201)]
    assert rows[0].status == "accepted" and rows[0].attempts == 2


async def test_500_and_slow_answers_are_retried_then_given_up(kotas, fake_push, sessions):
    broken = fake_push.subscription("broken", always(500))
    slow = fake_push.subscription("slow", always(201, delay=1.5))  # the sender's timeout is 1 s here
    await kotas.subscribe(broken.json())
    await kotas.subscribe(slow.json())
    made = await notify(sessions, kotas.id)
    report = await run_send(sessions, [made.id])
    assert report.retry == 2
    rows, attempts, _ = await deliveries(sessions)
    assert sorted(a.reason.split(":")[0] for a in attempts) == ["500 Internal Server Error", "timeout"]
    for _ in range(MAX_ATTEMPTS - 1):  # make every retry due now instead of waiting out the back-off
        async with sessions() as session:
            await session.execute(update(PushDelivery).values(not_before=utcnow() - timedelta(seconds=1)))
            await session.commit()
        await run_send(sessions)
    rows, attempts, subs = await deliveries(sessions)
    assert {r.status for r in rows} == {"failed"} and all(r.attempts == MAX_ATTEMPTS for r in rows)
    assert all(r.reason.startswith(f"gave up after {MAX_ATTEMPTS} attempts") for r in rows)
    assert len(attempts) == 2 * MAX_ATTEMPTS and len(subs) == 2, "retried, recorded, never deleted"


@pytest.mark.parametrize("status", [401, 403])
async def test_vapid_refused_is_counted_and_alerted_never_deleted(
    status, kotas, signed_in, fake_push, sessions
):
    admin = await signed_in("admin")
    refused = [fake_push.subscription(f"no{n}", always(status)) for n in range(3)]
    for sub in refused:
        await kotas.subscribe(sub.json())
    counter = metrics.REJECTED.labels(host="127.0.0.1")
    before = counter._value.get()
    report = await run_send(sessions, [(await notify(sessions, kotas.id)).id])
    assert report.rejected == 3 and counter._value.get() == before + 3
    rows, _, subs = await deliveries(sessions)
    assert len(subs) == 3, "a broken VAPID key must not wipe every subscription"
    assert {(r.status, r.status_code) for r in rows} == {("failed", status)}
    alert = (await admin.inbox())["items"]
    assert [n["kind"] for n in alert] == ["push_rejected"] and "127.0.0.1" in alert[0]["body"]
    await run_send(sessions, [(await notify(sessions, kotas.id)).id])
    assert len((await admin.inbox())["items"]) == 1, "one alert per push service and day"


async def test_concurrency_is_bounded(kotas, fake_push, sessions, push_settings):
    from dataclasses import replace

    await runtime.close()  # the next push makes a client with the new settings
    runtime.configure(replace(push_settings, push_concurrency=3))
    try:
        for n in range(10):
            await kotas.subscribe(fake_push.subscription(f"s{n}", always(201, delay=0.2)).json())
        report = await run_send(sessions, [(await notify(sessions, kotas.id)).id])
    finally:
        await runtime.close()
        runtime.configure(push_settings)
    assert report.accepted == 10 and fake_push.most_in_flight == 3


async def test_too_large_payload_is_refused_before_sending(kotas, fake_push, sessions):
    sub = fake_push.subscription("ok")
    await kotas.subscribe(sub.json())
    made = await notify(sessions, kotas.id, ids={"blob": "x" * MAX_PAYLOAD_BYTES})
    report = await run_send(sessions, [made.id])
    assert report.failed == 1 and fake_push.requests(sub.path) == []
    rows, attempts, _ = await deliveries(sessions)
    assert "at most 3993" in rows[0].reason and attempts == []


async def test_expired_ttl_and_read_notifications_are_not_pushed(kotas, fake_push, sessions):
    sub = fake_push.subscription("ok")
    await kotas.subscribe(sub.json())
    await notify(sessions, kotas.id, ttl=1)
    read = await notify(sessions, kotas.id)
    async with sessions() as session:
        await session.execute(update(Notification).where(Notification.id == read.id).values(read_at=utcnow()))
        await session.commit()
    await asyncio.sleep(1.1)
    report = await run_send(sessions)
    assert report.sent == 0 and report.skipped == 2 and fake_push.requests(sub.path) == []


async def test_a_run_that_died_mid_send_is_not_resent(kotas, fake_push, sessions):
    sub = fake_push.subscription("ok")
    await kotas.subscribe(sub.json())
    made = await notify(sessions, kotas.id)
    async with sessions() as session:  # as a crashed run leaves it: claimed, never recorded
        await session.execute(
            update(PushDelivery).values(status="sending", not_before=utcnow() - timedelta(minutes=11))
        )
        await session.commit()
    assert (await run_send(sessions, [made.id])).sent == 0
    async with sessions() as session:
        assert await expire_stale(session, utcnow()) == 1
    rows, _, _ = await deliveries(sessions)
    assert rows[0].status == "failed" and "interrupted" in rows[0].reason
    assert fake_push.requests(sub.path) == []


async def test_two_runs_at_once_send_each_push_once(kotas, fake_push, sessions):
    subs = [fake_push.subscription(f"p{n}", always(201, delay=0.05)) for n in range(5)]
    for sub in subs:
        await kotas.subscribe(sub.json())
    made = await notify(sessions, kotas.id)
    sender = runtime.sender()

    async def run():
        async with sessions() as session:
            return await deliver(session, sender, notification_ids=[made.id])

    first, second = await asyncio.gather(run(), run())
    assert first.accepted + second.accepted == 5
    assert all(len(fake_push.requests(s.path)) == 1 for s in subs)


async def test_deliveries_of_a_deleted_or_moved_subscription_are_cancelled_not_left_due(
    kotas, signed_in, fake_push, sessions
):
    deleted, moved, orphaned = (fake_push.subscription(name) for name in ("deleted", "moved", "orphaned"))
    ids = [(await kotas.subscribe(sub.json()))["id"] for sub in (deleted, moved, orphaned)]
    await notify(sessions, kotas.id)  # three deliveries due, none sent yet
    assert (await kotas.delete(f"/api/notifications/subscriptions/{ids[0]}")).status_code == 204
    # The browser of `moved` now signed in as someone else: kotas's push must not reach them.
    await (await signed_in("admin")).subscribe(moved.json())
    async with sessions() as session:  # as a deleted user's subscriptions go (ON DELETE CASCADE)
        await session.execute(delete(PushSubscription).where(PushSubscription.id == uuid.UUID(ids[2])))
        await session.commit()
    async with sessions() as session:
        assert await cancel_orphans(session) == 1  # the sweep's
        assert await cancel_orphans(session) == 0
    assert (await run_send(sessions)).sent == 0
    rows, attempts, _ = await deliveries(sessions)
    assert sorted((r.status, r.reason) for r in rows) == [
        ("cancelled", "the subscription passed to another user"),
        ("cancelled", "the subscription was deleted"),
        ("cancelled", "the subscription was deleted before it was sent"),
    ]
    assert attempts == [] and fake_push.received == []
