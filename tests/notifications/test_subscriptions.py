"""Subscribing to pushes: the VAPID key, which endpoints are accepted, preferences within the user's roles,
upsert by endpoint, each user sees and deletes only their own, the per-user limit, no shared tablets."""

from __future__ import annotations

import uuid
from dataclasses import replace

from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from notifications.models import PushSubscription
from notifications.service import MAX_SUBSCRIPTIONS_PER_USER
from notifications.vapid import b64url_decode
from server.app import create_app
from server.reference.models import reference_id
from tests.api.test_devices import enrol_tablet
from tests.conftest import bearer, sign_in
from tests.notifications.push_services import FakePushService

OULU, LAKEUS = str(reference_id("area", "oulu")), str(reference_id("area", "lakeus"))
URL = "/api/notifications/subscriptions"


def browser(endpoint: str = "https://fcm.googleapis.com/fcm/send/abc123") -> dict:
    return FakePushService.make("/x", endpoint).json()


async def test_vapid_public_key_is_the_servers_and_stays(signed_in, push_settings):
    kotas = await signed_in("kotas")
    first = (await kotas.get("/api/notifications/vapid-public-key")).json()["public_key"]
    point = b64url_decode(first)
    assert len(point) == 65 and point[0] == 4, "an uncompressed P-256 point, as pushManager.subscribe wants"
    assert (push_settings.data_dir / "vapid-private-key").stat().st_mode & 0o777 == 0o600
    # Another start on the same data directory keeps the key (browsers' subscriptions depend on it).
    async with AsyncTestClient(app=create_app(push_settings, configure_logs=False)) as again:
        login = await sign_in(again, "kotas")
        key = await again.get("/api/notifications/vapid-public-key", headers=bearer(login["access_token"]))
        assert key.json()["public_key"] == first
    anonymous = await kotas.client.get("/api/notifications/vapid-public-key")
    assert anonymous.status_code == 401


async def test_subscribe_upserts_by_endpoint_and_lists_only_own(signed_in):
    kotas, admin = await signed_in("kotas"), await signed_in("admin")
    sub = browser()
    created = await kotas.post(URL, json={"subscription": sub, "preferences": {"areas": [OULU]}})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["push_service"] == "fcm.googleapis.com" and body["areas"] == [OULU]
    assert body["events"] == ["application", "free_places", "offer_expiring", "referral"], "the role's events"
    assert "endpoint" not in body and "p256dh" not in str(body), "the browser's secrets are not echoed"

    again = await kotas.post(
        URL,
        json={"subscription": sub, "preferences": {"events": ["referral"], "unit_kinds": ["housing_24h"]}},
    )
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert again.json()["events"] == ["referral"] and again.json()["unit_kinds"] == ["housing_24h"]
    assert [s["id"] for s in (await kotas.get(URL)).json()] == [body["id"]]
    assert (await admin.get(URL)).json() == [], "another user sees none of them"


async def test_delete_only_own_subscription(signed_in):
    kotas, other = await signed_in("kotas"), await signed_in("admin")
    sub = await kotas.subscribe(browser())
    refused = await other.delete(f"{URL}/{sub['id']}")
    assert refused.status_code == 404 and refused.json()["code"] == "not_found"
    assert len((await kotas.get(URL)).json()) == 1
    assert (await kotas.delete(f"{URL}/{sub['id']}")).status_code == 204
    assert (await kotas.get(URL)).json() == []
    assert (await kotas.delete(f"{URL}/{sub['id']}")).status_code == 404
    assert (await kotas.delete(f"{URL}/{uuid.uuid4()}")).status_code == 404


async def test_endpoints_only_on_https_push_services(signed_in, client, push_settings):
    kotas = await signed_in("kotas")
    for endpoint, why in [
        ("http://fcm.googleapis.com/fcm/send/x", "https"),
        ("https://internal.example.org/push", "not a known push service"),
        ("https://fcm.googleapis.com:8443/fcm/send/x", "default https port"),
        ("https://user:pw@fcm.googleapis.com/fcm/send/x", "plain URL"),
        ("https://fcm.googleapis.com.evil.org/x", "not a known push service"),
        ("http://10.0.0.1/push", "https"),
        ("https://" + "a" * 1100, "longer than 1024"),
    ]:
        answer = await kotas.post(URL, json={"subscription": browser(endpoint)})
        assert answer.status_code == 400, endpoint
        assert answer.json()["code"] in ("invalid_subscription", "invalid_request", "bad_request"), (
            answer.text
        )
        assert why in answer.json()["message"] or answer.json()["code"] != "invalid_subscription", answer.text
    for endpoint in (
        "https://updates.push.services.mozilla.com/wpush/v2/abc",
        "https://web.push.apple.com/QAbc",
        "https://wns2-par02p.notify.windows.com/w/?token=abc",
    ):
        assert (await kotas.post(URL, json={"subscription": browser(endpoint)})).status_code == 201, endpoint
    # Loopback only with KAARI_PUSH_ALLOW_LOOPBACK=1 (on in these tests, off by default).
    assert (
        await kotas.post(URL, json={"subscription": browser("http://127.0.0.1:9/push/a")})
    ).status_code == 201
    strict = replace(push_settings, push_allow_loopback=False)
    async with AsyncTestClient(app=create_app(strict, configure_logs=False)) as other:
        login = await sign_in(other, "kotas")
        answer = await other.post(
            URL, headers=bearer(login["access_token"]), json={"subscription": browser("http://localhost:9/p")}
        )
        assert answer.status_code == 400 and "https" in answer.json()["message"]


async def test_bad_keys_and_unknown_fields_are_refused(signed_in):
    kotas = await signed_in("kotas")
    sub = browser()
    bad_point = {**sub, "keys": {**sub["keys"], "p256dh": sub["keys"]["p256dh"][:-4] + "AAAA"}}
    short_auth = {**sub, "keys": {**sub["keys"], "auth": "AAAAAAAAAAAAAAAAAAAAAA" + "AA"}}
    for bad in (bad_point, short_auth):
        answer = await kotas.post(URL, json={"subscription": bad})
        assert answer.status_code == 400 and answer.json()["code"] == "invalid_subscription", answer.text
    unknown = await kotas.post(URL, json={"subscription": sub, "preferences": {"colour": "red"}})
    assert unknown.status_code == 400 and "colour" in unknown.text
    missing = await kotas.post(URL, json={"subscription": {"endpoint": sub["endpoint"]}})
    assert missing.status_code == 400 and "keys" in missing.text


async def test_preferences_within_the_roles(signed_in):
    kotas, ohjaaja = (
        await signed_in("kotas"),
        await signed_in("ohjaaja"),
    )  # coordinator (region); counsellor (Oulu)
    refused = await ohjaaja.post(
        URL, json={"subscription": browser(), "preferences": {"events": ["free_places"]}}
    )
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_preferences"
    assert refused.json()["details"]["allowed"] == ["deadline_at_risk"]
    outside = await ohjaaja.post(URL, json={"subscription": browser(), "preferences": {"areas": [LAKEUS]}})
    assert outside.status_code == 400 and outside.json()["details"]["areas"] == [LAKEUS]
    own = await ohjaaja.post(URL, json={"subscription": browser(), "preferences": {"areas": [OULU]}})
    assert own.status_code == 201 and own.json()["events"] == ["deadline_at_risk"]
    region = await kotas.post(URL, json={"subscription": browser("https://fcm.googleapis.com/fcm/send/k")})
    assert region.status_code == 201
    wrong_kind = await kotas.post(
        URL, json={"subscription": browser(), "preferences": {"unit_kinds": ["castle"]}}
    )
    assert wrong_kind.status_code == 400


async def test_a_shared_tablet_cannot_subscribe(client):
    admin = await sign_in(client, "admin")
    tablet = await enrol_tablet(client, admin["access_token"])
    staff = await client.post(
        "/api/auth/login",
        headers=bearer(tablet["device_credential"]),
        json={"username": "kotas", "password": "demo"},
    )
    assert staff.status_code == 200, staff.text
    answer = await client.post(
        URL, headers=bearer(staff.json()["access_token"]), json={"subscription": browser()}
    )
    assert answer.status_code == 403 and "shared tablet" in answer.json()["message"]


async def test_at_most_ten_subscriptions_per_user_the_oldest_goes(signed_in, db):
    kotas = await signed_in("kotas")
    ids = []
    for n in range(MAX_SUBSCRIPTIONS_PER_USER + 1):
        ids.append((await kotas.subscribe(browser(f"https://fcm.googleapis.com/fcm/send/{n}")))["id"])
    listed = [s["id"] for s in (await kotas.get(URL)).json()]
    assert len(listed) == MAX_SUBSCRIPTIONS_PER_USER and ids[0] not in listed and ids[-1] in listed
    count = await db.scalar(select(func.count()).select_from(PushSubscription))
    assert count == MAX_SUBSCRIPTIONS_PER_USER


async def test_quiet_hours_are_the_users_own(signed_in):
    kotas, admin = await signed_in("kotas"), await signed_in("admin")
    assert (await kotas.get("/api/notifications/quiet-hours")).json() == {"start": None, "end": None}
    set_ = await kotas.put("/api/notifications/quiet-hours", json={"start": "22:00:00", "end": "07:00:00"})
    assert set_.status_code == 200 and set_.json() == {"start": "22:00:00", "end": "07:00:00"}
    assert (await admin.get("/api/notifications/quiet-hours")).json() == {"start": None, "end": None}
    half = await kotas.put("/api/notifications/quiet-hours", json={"start": "22:00:00"})
    assert half.status_code == 400
    assert (await kotas.get("/api/notifications/quiet-hours")).json()["start"] == "22:00:00", "nothing lost"
