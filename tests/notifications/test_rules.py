"""The rules end to end in one process: a mutation commits with its outbox row, the real job runner runs the
job, the inbox gets the notification and the (scripted) push service gets the push. Coalescing, quiet
hours, re-runs, who is told, and what they are told about clients."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

import msgspec
from sqlalchemy import delete, func, select, update

from notifications.models import Notification, NotificationBurst, PushDelivery
from server.access_log.models import AccessLogEntry
from server.clients.models import Client
from server.clock import FINLAND, date_in_finland
from server.db import begin_write, utcnow
from server.jobs import outbox, registry
from server.jobs.models import OutboxRow
from tests.notifications.test_delivery import deliveries
from tests.places.helpers import STC, STC_CLIENTS, day, other_client, replica
from tests.queue.helpers import OULU, offer, outcome, refer

LAKEUS = "lakeus"
WINDOW = timedelta(seconds=61)


async def book(sync, start: int, end: int | None = None, client: str = STC_CLIENTS[0]) -> str:
    stay_id = str(uuid.uuid4())
    await sync.mutate(
        "stay.book",
        {
            "stay_id": stay_id,
            "client_id": client,
            "unit_id": str(STC),
            "start_date": day(start),
            "end_date": day(end or start),
        },
    )
    return stay_id


def until_deadline_warning(opened: datetime) -> timedelta:
    """From now to just after the warning of an urgent (same-day) assessment opened at `opened` falls due:
    08:00 Finnish time on the contact day, but no earlier than two hours after the opening."""
    at = max(datetime.combine(date_in_finland(opened), time(8), tzinfo=FINLAND), opened + timedelta(hours=2))
    return at - utcnow() + timedelta(minutes=1)


def pushes(fake, sub) -> list[dict]:
    return [msgspec.json.decode(r.plaintext) for r in fake.requests(sub.path) if r.plaintext]


async def test_cancelled_stay_tells_coordinators_with_best_matches_by_initials(
    client, signed_in, fake_push, drain, db
):
    kotas = await signed_in("kotas")
    sub = fake_push.subscription("kotas")
    await kotas.subscribe(sub.json(), areas=[str(OULU)], unit_kinds=["short_term_care"])
    hoiva, coordinator = await replica(client, "hoiva"), await replica(client, "kotas")
    stay_id = await book(hoiva, 30)
    await hoiva.sync()
    for n, urgency in ((3, "normal"), (4, "urgent")):
        await refer(coordinator, other_client(n), urgency=urgency, maple=3)
    await coordinator.sync()
    await drain()  # the referrals' notifications
    before = len(fake_push.requests(sub.path))

    await hoiva.mutate("stay.cancel", {"stay_id": stay_id})
    committed = utcnow()
    await hoiva.sync()
    await drain()
    [push] = pushes(fake_push, sub)[before:]
    assert push["kind"] == "free_places" and push["tag"] == f"free_places:{STC}"
    assert push["title"] == f"4 vapaata paikkaa: Lyhytaikaisyksikkö Lepola {_fi(30)} alkaen"
    names = [await db.get(Client, uuid.UUID(other_client(n))) for n in (4, 3)]
    initials = [f"{c.first_name[0]}.{c.last_name[0]}.".upper() for c in names]
    assert push["body"] == (
        f"Vapaana 1 päivänä ({_fi(30)}). Jonossa parhaiten sopivat: 1. {initials[0]} (kiireellinen, MAPLe 3, odottanut 0 pv); "
        f"2. {initials[1]} (MAPLe 3, odottanut 0 pv)"
    )
    for c in names:  # never a name, only initials
        assert c.first_name not in push["body"] and c.last_name not in push["body"]
    assert push["ids"]["unit_id"] == str(STC) and push["ids"]["free"] == 4 and push["ids"]["date"] == day(30)
    assert push["url"] == f"/kotas?unit_id={STC}&from={day(30)}"  # a path of the app: the view it opens
    got = fake_push.requests(sub.path)[-1]
    assert got.headers["Urgency"] == "normal" and 43100 < int(got.headers["TTL"]) <= 43200
    assert got.headers["Topic"].startswith("fp-")
    print(
        f"\n[notifications] stay.cancel commit → push service: {got.at - _mono(committed):.3f} s (in process)"
    )
    # Naming the two clients to kotas is in the access log, with the placement basis.
    logged = (
        (await db.execute(select(AccessLogEntry).where(AccessLogEntry.record_type == "notification")))
        .scalars()
        .all()
    )
    assert {(e.client_id, e.username, e.basis) for e in logged} == {
        (c.id, "kotas", "coordinator:placement") for c in names
    }
    # The inbox reaches kotas's devices by sync, whether or not the push arrives; the author got nothing.
    await coordinator.sync()
    records = [r for r in coordinator.view.records("notification") if r.data["kind"] == "free_places"]
    assert [r.data["title"] for r in records] == [push["title"]]
    assert (await (await signed_in("hoiva")).inbox())["items"] == []


def _fi(offset: int) -> str:
    d = datetime.fromisoformat(day(offset))
    return f"{d.day}.{d.month}.{d.year}"


def _mono(at: datetime) -> float:
    import time

    return time.monotonic() - (datetime.now(UTC) - at).total_seconds()


async def test_ten_places_freeing_in_a_minute_are_one_notification(
    client, signed_in, fake_push, drain, sessions
):
    kotas = await signed_in("kotas")
    sub = fake_push.subscription("kotas")
    await kotas.subscribe(sub.json(), events=["free_places"])
    hoiva = await replica(client, "hoiva")
    stays = [await book(hoiva, 20 + n) for n in range(10)]
    await hoiva.sync()
    await drain()
    await hoiva.mutate("stay.cancel", {"stay_id": stays[0]})
    await hoiva.sync()
    await drain()
    first = pushes(fake_push, sub)
    assert [(p["revision"], p["ids"]["date"]) for p in first] == [(1, day(20))]
    for stay_id in stays[1:]:  # nine more, each its own push from the tablet, within the minute
        await hoiva.mutate("stay.cancel", {"stay_id": stay_id})
        await hoiva.sync()
    await drain()
    assert len(pushes(fake_push, sub)) == 1, "held until the window closes"
    await drain(ahead=WINDOW)
    after = pushes(fake_push, sub)
    assert len(after) == 2 and after[1]["id"] == after[0]["id"] and after[1]["revision"] == 2
    assert after[1]["tag"] == after[0]["tag"] and after[1]["renotify"] is True
    assert after[1]["body"].startswith(f"Vapaana 10 päivänä ({_fi(20)}-{_fi(29)}).")
    assert after[1]["ids"]["free_days"] == 10 and after[1]["ids"]["last_date"] == day(29)
    inbox = (await kotas.inbox())["items"]
    assert [(n["kind"], n["revision"]) for n in inbox] == [("free_places", 2)], "one notification, updated"
    # A window that closes with nothing new ends the burst; the next freed place is a new notification.
    async with sessions() as session:  # the minute has passed
        await session.execute(update(NotificationBurst).values(closes_at=utcnow() - timedelta(seconds=1)))
        await session.commit()
    extra = await book(hoiva, 45)
    await hoiva.sync()
    await hoiva.mutate("stay.cancel", {"stay_id": extra})
    await hoiva.sync()
    await drain()
    assert len((await kotas.inbox())["items"]) == 2 and len(pushes(fake_push, sub)) == 3
    assert pushes(fake_push, sub)[2]["revision"] == 1 and pushes(fake_push, sub)[2]["ids"]["date"] == day(45)


async def test_one_push_batch_of_ten_cancellations_is_one_push(client, signed_in, fake_push, drain):
    kotas = await signed_in("kotas")
    sub = fake_push.subscription("kotas")
    await kotas.subscribe(sub.json(), events=["free_places"])
    hoiva = await replica(client, "hoiva")
    stays = [await book(hoiva, 50) for _ in range(2)] + [await book(hoiva, 51 + n) for n in range(8)]
    await hoiva.sync()
    await drain()
    for stay_id in stays:
        await hoiva.mutate("stay.cancel", {"stay_id": stay_id})
    await hoiva.sync()
    await drain()
    [push] = pushes(fake_push, sub)
    assert push["ids"]["date"] == day(50) and push["ids"]["free"] == 4 and push["ids"]["free_days"] == 9


async def test_rerunning_jobs_sends_nothing_twice(client, signed_in, fake_push, drain, sessions):
    kotas = await signed_in("kotas")
    sub = fake_push.subscription("kotas")
    await kotas.subscribe(sub.json())
    counsellor = await replica(client, "ohjaaja")
    await refer(counsellor, other_client(1), urgency="urgent", maple=4)
    await counsellor.sync()
    await drain()
    assert len(fake_push.requests(sub.path)) == 1
    async with sessions() as session:
        rows = (
            (await session.execute(select(OutboxRow).where(OutboxRow.job.like("notifications.%"))))
            .scalars()
            .all()
        )
    for row in rows:  # every notification job once more, as arq may deliver it twice
        spec = registry.get(row.job)
        async with sessions() as session:
            args = [spec.decode_args(row.args)] if spec.args else []
            await spec.body(session, utcnow(), *args)
    assert len(fake_push.requests(sub.path)) == 1
    deliveries_, _, _ = await deliveries(sessions)
    assert len(deliveries_) == 1 and len((await kotas.inbox())["items"]) == 1


async def test_quiet_hours_hold_the_push_not_the_inbox(client, signed_in, fake_push, drain, sessions):
    kotas = await signed_in("kotas")
    sub = fake_push.subscription("kotas")
    await kotas.subscribe(sub.json())
    local = datetime.now(FINLAND)
    start, end = (local - timedelta(hours=1)).time(), (local + timedelta(hours=1)).time()
    quiet = {"start": start.strftime("%H:%M:00"), "end": end.strftime("%H:%M:00")}
    assert (await kotas.put("/api/notifications/quiet-hours", json=quiet)).status_code == 200
    counsellor = await replica(client, "ohjaaja")
    await refer(counsellor, other_client(2), urgency="urgent")
    await counsellor.sync()
    await drain()
    assert len((await kotas.inbox())["items"]) == 1, "the inbox at once"
    assert fake_push.requests(sub.path) == [], "no push during quiet hours"
    [held], _, _ = await deliveries(sessions)
    assert held.status == "held" and held.not_before.astimezone(FINLAND).strftime("%H:%M") == end.strftime(
        "%H:%M"
    )
    async with sessions() as session:  # the quiet hours end
        await session.execute(update(PushDelivery).values(not_before=utcnow() - timedelta(seconds=1)))
        await session.commit()
    from notifications.jobs import sweep

    async with sessions() as session:
        await sweep(session, utcnow())
    [push] = pushes(fake_push, sub)
    assert push["kind"] == "referral"


async def test_referral_goes_to_the_areas_coordinators_as_they_chose(client, signed_in, fake_push, drain):
    kotas = await signed_in("kotas")
    oulu, lakeus, homecare = (fake_push.subscription(n) for n in ("oulu", "lakeus", "housing"))
    from server.reference.models import reference_id

    await kotas.subscribe(oulu.json(), areas=[str(OULU)])
    await kotas.subscribe(lakeus.json(), areas=[str(reference_id("area", LAKEUS))])
    await kotas.subscribe(homecare.json(), unit_kinds=["housing_24h"])
    counsellor = await replica(client, "ohjaaja")
    mutation, _ = await refer(counsellor, other_client(5), urgency="urgent", maple=5)
    await counsellor.sync()
    assert outcome(counsellor, mutation) is None, "applied"
    await drain()
    [push] = pushes(fake_push, oulu)
    assert fake_push.requests(lakeus.path) == [] and fake_push.requests(homecare.path) == []
    assert push["kind"] == "referral" and push["title"] == "Uusi lähete: Lyhytaikaishoito, Oulu"
    assert push["url"] == (
        f"/kotas?tab=queue&service_kind=short_term_care&area_id={OULU}&queue_entry_id={push['ids']['queue_entry_id']}"
    )
    assert push["body"].startswith("Kiireellinen, MAPLe 5, saapunut ")
    got = fake_push.requests(oulu.path)[0]
    assert got.headers["Urgency"] == "high" and int(got.headers["TTL"]) > 86000 and "Topic" not in got.headers
    assert [n["kind"] for n in (await kotas.inbox())["items"]] == ["referral"]
    # Counsellors and unit staff are not told of referrals.
    assert (await (await signed_in("ohjaaja")).inbox())["items"] == []


async def test_application_offer_expiry_and_deadline_reach_their_person(client, signed_in, fake_push, drain):
    kotas, ohjaaja = await signed_in("kotas"), await signed_in("ohjaaja")
    to_kotas, to_ohjaaja = fake_push.subscription("kotas"), fake_push.subscription("ohjaaja")
    await kotas.subscribe(to_kotas.json())
    await ohjaaja.subscribe(to_ohjaaja.json())
    counsellor, coordinator = await replica(client, "ohjaaja"), await replica(client, "kotas")
    await counsellor.mutate(
        "application.receive",
        {"application_id": str(uuid.uuid4()), "client_id": other_client(6), "service": "housing_24h",
         "received_on": day(0), "area_id": str(OULU)},
    )  # fmt: skip
    opened = utcnow()
    await counsellor.mutate(
        "assessment.open",
        {"assessment_id": str(uuid.uuid4()), "client_id": other_client(7), "contacted_at": opened.isoformat(),
         "urgent": True, "area_id": str(OULU)},
    )  # fmt: skip
    _, entry = await refer(coordinator, other_client(8))
    await coordinator.sync()
    await offer(coordinator, entry, 40, 42, expires_at=(utcnow() + timedelta(hours=2)).isoformat())
    await counsellor.sync()
    await coordinator.sync()
    await drain()
    kinds = sorted(p["kind"] for p in pushes(fake_push, to_kotas))
    assert kinds == ["application", "free_places", "offer_expiring", "referral"] or kinds == [
        "application",
        "offer_expiring",
        "referral",
    ]
    warning = next(p for p in pushes(fake_push, to_kotas) if p["kind"] == "offer_expiring")
    assert warning["title"].startswith("Paikkatarjous vanhenee ") and "Lepola" in warning["title"]
    assert warning["url"] == f"/kotas?tab=queue&offer_id={warning['ids']['offer_id']}"
    arrived = next(p for p in pushes(fake_push, to_kotas) if p["kind"] == "application")
    assert arrived["url"] == f"/kotas?tab=queue&area_id={arrived['ids']['area_id']}"
    assert pushes(fake_push, to_ohjaaja) == [], "the deadline warning is not due yet"
    await drain(ahead=until_deadline_warning(opened))
    [deadline] = pushes(fake_push, to_ohjaaja)
    assert deadline["kind"] == "deadline_at_risk" and deadline["title"].startswith("PTA:n määräaika ")
    assert deadline["url"] == f"/ohjaus?tab=assessments&assessment_id={deadline['ids']['assessment_id']}"
    assert all(p["kind"] != "deadline_at_risk" for p in pushes(fake_push, to_kotas))


async def test_offers_and_assessments_older_than_notifications_are_warned_once(
    client, signed_in, fake_push, drain, sessions
):
    kotas, ohjaaja = await signed_in("kotas"), await signed_in("ohjaaja")
    to_kotas, to_ohjaaja = fake_push.subscription("kotas"), fake_push.subscription("ohjaaja")
    await kotas.subscribe(to_kotas.json())
    await ohjaaja.subscribe(to_ohjaaja.json())
    counsellor, coordinator = await replica(client, "ohjaaja"), await replica(client, "kotas")
    assessment_id, offer_id = str(uuid.uuid4()), str(uuid.uuid4())
    opened = utcnow()
    await counsellor.mutate(
        "assessment.open",
        {"assessment_id": assessment_id, "client_id": other_client(7), "contacted_at": opened.isoformat(),
         "urgent": True, "area_id": str(OULU)},
    )  # fmt: skip
    _, entry = await refer(coordinator, other_client(8))
    await coordinator.sync()
    expires = (utcnow() + timedelta(hours=2)).isoformat()
    await offer(coordinator, entry, 40, 42, offer_id=offer_id, expires_at=expires)
    await counsellor.sync()
    await coordinator.sync()
    warnings = ("notifications.offer_expiring", "notifications.deadline_at_risk")
    async with sessions() as session:  # as if made before notifications existed: no warning asked for
        await session.execute(delete(OutboxRow).where(OutboxRow.job.in_(warnings)))
        await session.commit()

    async def catch_up(ahead: timedelta = timedelta(0)) -> None:
        async with sessions() as session:
            await begin_write(session)
            await outbox.add(session, "notifications.catch_up", str(uuid.uuid4()))
            await session.commit()
        await drain(ahead)

    def warned(sub, kind: str, key: str, value: str) -> int:
        return sum(1 for p in pushes(fake_push, sub) if p["kind"] == kind and p["ids"][key] == value)

    await catch_up()
    assert warned(to_kotas, "offer_expiring", "offer_id", offer_id) == 1, "it expires within 6 h: at once"
    assert warned(to_ohjaaja, "deadline_at_risk", "assessment_id", assessment_id) == 0, "not due yet"
    await catch_up()
    later = until_deadline_warning(opened)
    await drain(later)
    assert warned(to_ohjaaja, "deadline_at_risk", "assessment_id", assessment_id) == 1
    await catch_up(later)
    assert warned(to_kotas, "offer_expiring", "offer_id", offer_id) == 1
    assert warned(to_ohjaaja, "deadline_at_risk", "assessment_id", assessment_id) == 1
    async with sessions() as session:
        asked = await session.execute(
            select(OutboxRow.key, func.count()).where(OutboxRow.job.in_(warnings)).group_by(OutboxRow.key)
        )
        asked = dict(asked.all())
    assert asked[f"offer:{offer_id}"] == 1 and asked[f"assessment:{assessment_id}"] == 1, "asked for once"


async def test_inbox_is_own_and_read_by_mutation(client, signed_in, drain):
    kotas, admin = await signed_in("kotas"), await signed_in("admin")
    counsellor = await replica(client, "ohjaaja")
    for n in range(3):
        await refer(counsellor, other_client(10 + n))
    await counsellor.sync()
    await drain()
    inbox = await kotas.inbox()
    assert inbox["unread"] == 3 and len(inbox["items"]) == 3
    assert (await admin.inbox()) == {"items": [], "unread": 0, "next_before": None}
    page = await kotas.inbox(limit=2)
    assert len(page["items"]) == 2 and page["next_before"]
    rest = await kotas.inbox(limit=2, before=page["next_before"])
    assert len(rest["items"]) == 1 and rest["next_before"] is None
    assert (await kotas.get("/api/notifications", params={"limit": 201})).status_code == 400

    coordinator, other = await replica(client, "kotas"), await replica(client, "admin")
    target = inbox["items"][0]["id"]
    stolen = await other.mutate("notification.read", {"notification_ids": [target]})
    mine = await coordinator.mutate("notification.read", {"notification_ids": [target]})
    await other.sync()
    await coordinator.sync()
    assert outcome(other, stolen).code == "unknown_entity"
    assert outcome(coordinator, mine) is None, "applied"
    after = await kotas.inbox()
    assert after["unread"] == 2 and next(n for n in after["items"] if n["id"] == target)["read_at"]
    assert [n["id"] for n in (await kotas.inbox(unread=True))["items"]] == [
        n["id"] for n in after["items"] if n["id"] != target
    ]
    assert coordinator.view.get("notification", target).data["read_at"] is not None, (
        "every device sees it read"
    )
    first_read = coordinator.view.get("notification", target).data["read_at"]
    again = await coordinator.mutate("notification.read", {"notification_ids": [target]})
    await coordinator.sync()
    assert outcome(coordinator, again) is None
    assert coordinator.view.get("notification", target).data["read_at"] == first_read, "the first read stays"


async def test_push_rows_record_the_commit_to_accepted_time(client, signed_in, fake_push, drain, sessions):
    kotas = await signed_in("kotas")
    await kotas.subscribe(fake_push.subscription("kotas").json())
    counsellor = await replica(client, "ohjaaja")
    await refer(counsellor, other_client(20))
    await counsellor.sync()
    await drain()
    async with sessions() as session:
        n = (await session.execute(select(Notification))).scalar_one()
    rows, attempts, _ = await deliveries(sessions)
    assert rows[0].accepted_at >= n.created_at and attempts[0].outcome == "accepted"
