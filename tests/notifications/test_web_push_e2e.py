"""End to end against a real third-party push service (npm web-push-testing) and a real `kaari serve`
process that runs its jobs itself (single node, as `make run`): a coordinator's subscription obtained from
the push service is registered through the API, a `stay.cancel` frees a place, and the push service
decrypts what it got. A recording relay in front of it shows the headers (TTL, Urgency, Topic) it received.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
import msgspec

from sync_protocol.client import MemoryStore, Replica, login
from tests.integration.servers import ServerProcess, server_env
from tests.notifications.push_services import FakePushService, WebPushTesting
from tests.places.helpers import STC, STC_CLIENTS, day, other_client
from tests.queue.helpers import OULU


async def wait_for(probe, within: float = 10.0, what: str = "the push"):
    until = time.monotonic() + within
    while True:
        found = await probe()
        if found:
            return found
        assert time.monotonic() < until, f"{what} did not arrive within {within} s"
        await asyncio.sleep(0.01)


def messages_of(kind: str, raw: list[str]) -> list[dict[str, Any]]:
    return [m for m in (msgspec.json.decode(r) for r in raw) if m["kind"] == kind]


async def test_stay_cancel_reaches_a_real_push_service_decrypted(demo, tmp_path, web_push: WebPushTesting):
    relay = FakePushService()
    await relay.start()
    server = ServerProcess(
        server_env(tmp_path, demo.database_url, KAARI_PUSH_ALLOW_LOOPBACK="1", KAARI_LOG_LEVEL="WARNING"),
        log=tmp_path / "server.log",
    )
    server.start()
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            kotas = await login(http, "kotas", "demo")
            auth = {"Authorization": f"Bearer {kotas.access_token}"}
            key = (await http.get("/api/notifications/vapid-public-key", headers=auth)).json()["public_key"]
            direct, relayed = await web_push.subscribe(key), await web_push.subscribe(key)
            via_relay = {**relayed, "endpoint": relay.forward("wpt", relayed["endpoint"])}
            for sub in (direct, via_relay):
                body = {k: sub[k] for k in ("endpoint", "keys")}
                answer = await http.post(
                    "/api/notifications/subscriptions",
                    headers=auth,
                    json={"subscription": body, "preferences": {"areas": [str(OULU)]}},
                )
                assert answer.status_code == 201, answer.text

            hoiva = Replica(MemoryStore(), await login(http, "hoiva", "demo"), http=http)
            stay_id = str(uuid.uuid4())
            await hoiva.mutate(
                "stay.book",
                {"stay_id": stay_id, "client_id": STC_CLIENTS[0], "unit_id": str(STC), "start_date": day(33),
                 "end_date": day(34)},
            )  # fmt: skip
            await hoiva.sync()
            await hoiva.mutate("stay.cancel", {"stay_id": stay_id})
            await hoiva.push()
            committed = time.monotonic()  # the push answered: its transaction has committed

            async def arrived():
                return messages_of("free_places", await web_push.messages(direct["clientHash"]))

            [push] = await wait_for(arrived)
            elapsed = time.monotonic() - committed
            print(
                f"\n[notifications] stay.cancel commit → decrypted at web-push-testing: {elapsed * 1000:.0f} ms"
            )
            assert elapsed < 5, "a second is the target (bench/notify measures the p95); 5 s is a failure"
            assert push["title"].endswith(f"vapaata paikkaa: Lyhytaikaisyksikkö Lepola {_fi(33)} alkaen")
            assert push["tag"] == f"free_places:{STC}" and push["ids"]["unit_id"] == str(STC)
            assert push["url"].startswith("/kotas?unit_id=") and push["ids"]["date"] == day(33)

            [through] = await wait_for(lambda: _relayed(web_push, relayed))
            assert through == push, "the same notification, decrypted by the push service behind the relay"
            headers = relay.requests("/forward/wpt")[0].headers
            assert 43000 < int(headers["TTL"]) <= 43200 and headers["Urgency"] == "normal"
            assert headers["Topic"].startswith("fp-") and relay.requests("/forward/wpt")[0].status == 201

            # A referral is urgent: Urgency high, a day to live.
            counsellor = Replica(MemoryStore(), await login(http, "ohjaaja", "demo"), http=http)
            await counsellor.mutate(
                "referral.create",
                {"referral_id": str(uuid.uuid4()), "client_id": other_client(3), "service_kind": "housing_24h",
                 "area_id": str(OULU), "urgency": "urgent", "received_at": _now(), "source": "counsellor"},
            )  # fmt: skip
            await counsellor.push()

            async def referral_arrived():
                return messages_of("referral", await web_push.messages(direct["clientHash"]))

            [referral] = await wait_for(referral_arrived)
            assert referral["title"] == "Uusi lähete: Ympärivuorokautinen palveluasuminen, Oulu"
            await wait_for(lambda: _count(relay, 2))
            urgent = relay.requests("/forward/wpt")[1].headers
            assert urgent["Urgency"] == "high" and 86000 < int(urgent["TTL"]) <= 86400

            # The browser drops the subscription: the push service answers 410 and the server prunes it.
            await web_push.expire(direct["clientHash"])
            await counsellor.mutate(
                "referral.create",
                {"referral_id": str(uuid.uuid4()), "client_id": other_client(4), "service_kind": "housing_24h",
                 "area_id": str(OULU), "urgency": "normal", "received_at": _now(), "source": "counsellor"},
            )  # fmt: skip
            await counsellor.push()

            async def pruned():
                listed = (await http.get("/api/notifications/subscriptions", headers=auth)).json()
                return len(listed) == 1 or None

            await wait_for(pruned, what="the pruning")
            inbox = (await http.get("/api/notifications", headers=auth)).json()
            assert [n["kind"] for n in inbox["items"]] == ["referral", "referral", "free_places"]
    finally:
        server.stop()
        await relay.stop()


async def _relayed(web_push: WebPushTesting, relayed: dict[str, Any]):
    return messages_of("free_places", await web_push.messages(relayed["clientHash"]))


async def _count(relay: FakePushService, n: int) -> bool:
    return len(relay.requests("/forward/wpt")) >= n


def _fi(offset: int) -> str:
    from datetime import date

    d = date.fromisoformat(day(offset))
    return f"{d.day}.{d.month}.{d.year}"


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat()
