"""Pokes over SSE (protocol §5), against a real server process: tickets, delivery, scoping, 401s."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from server.accounts.tokens import TokenService
from server.clock import today_in_finland
from server.keys import read_or_create_secret
from server.sync.stream import TICKET_PURPOSE, TicketClaims, issue_ticket
from sync_protocol.client import MemoryStore, Replica, login

DEADLINE = 10.0
EVENTS = "/api/sync/v1/events"


@dataclass
class Event:
    kind: str  # "poke" or "comment"
    data: str


async def tablet(http: httpx.AsyncClient, username: str) -> Replica:
    replica = Replica(MemoryStore(), await login(http, username, "demo"), http=http)
    await replica.pull()
    return replica


async def ticket_for(http: httpx.AsyncClient, replica: Replica) -> str:
    response = await http.post(
        f"{EVENTS}/ticket", json={"client_id": str(replica.client_id)}, headers=replica.credentials.headers()
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["expires_in"] == 60
    return body["ticket"]


@asynccontextmanager
async def stream(url: str, ticket: str) -> AsyncIterator[asyncio.Queue[Event]]:
    """Open the SSE stream; events go to the queue. Returns once the server said it is subscribed."""
    queue: asyncio.Queue[Event] = asyncio.Queue()
    ready = asyncio.Event()

    async def read() -> None:
        async with (
            httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(5.0, read=None)) as http,
            http.stream("GET", EVENTS, params={"ticket": ticket}) as response,
        ):
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            kind, data = None, []
            async for line in response.aiter_lines():
                if line.startswith(":"):
                    if "subscribed" in line:
                        ready.set()
                    await queue.put(Event("comment", line[1:].strip()))
                elif line.startswith("event:"):
                    kind = line.removeprefix("event:").strip()
                elif line.startswith("data:"):
                    data.append(line.removeprefix("data:").strip())
                elif line == "" and kind:
                    await queue.put(Event(kind, "\n".join(data)))
                    kind, data = None, []

    task = asyncio.create_task(read())
    try:
        waiter = asyncio.create_task(ready.wait())
        done, _ = await asyncio.wait({task, waiter}, timeout=DEADLINE, return_when=asyncio.FIRST_COMPLETED)
        if waiter not in done:
            waiter.cancel()
            if task in done:
                task.result()  # raises what went wrong
            raise AssertionError("the stream did not confirm its subscription in time")
        yield queue
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def next_poke(queue: asyncio.Queue[Event]) -> int:
    """The next poke's version, skipping comments; fails after DEADLINE."""
    async with asyncio.timeout(DEADLINE):
        while True:
            event = await queue.get()
            if event.kind == "poke":
                return int(json.loads(event.data)["version"])


async def check_in_one(replica: Replica, offset: int = 0) -> int:
    """Check in a client of the replica's unit; the committed change-log version of the attendance."""
    client = replica.view.records("client")[offset]
    unit_id = next(s for s in client.scopes if s.startswith("unit:")).removeprefix("unit:")
    await replica.mutate(
        "attendance.check_in",
        {
            "client_id": client.id,
            "unit_id": unit_id,
            "date": today_in_finland().isoformat(),
            "at": datetime.now(UTC),
        },
    )
    report = await replica.sync()
    assert report.push.applied == 1
    record = next(
        a for a in replica.view.records("attendance") if a.data["client_id"] == client.id and not a.pending
    )
    assert record.version is not None
    return record.version


async def test_poke_arrives_for_own_unit_and_not_for_another(live_server):
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30.0) as http:
        listener = await tablet(http, "paiva")
        same_unit = await tablet(http, "paiva")  # another device of the same unit
        other_unit = await tablet(http, "hoiva")
        async with stream(live_server.url, await ticket_for(http, listener)) as events:
            version = await check_in_one(same_unit, 0)
            assert await next_poke(events) == version

            # A change in another unit, then one in ours: the next poke must be ours. Had the other unit's
            # poke been delivered, it would have come first (one channel backend, in commit order).
            await check_in_one(other_unit, 0)
            ours = await check_in_one(same_unit, 1)
            assert await next_poke(events) == ours
            assert all(e.kind != "poke" for e in _drain(events))


def _drain(queue: asyncio.Queue[Event]) -> list[Event]:
    items = []
    while not queue.empty():
        items.append(queue.get_nowait())
    return items


async def test_bad_tickets_answer_401_json(live_server):
    key = TokenService(read_or_create_secret(live_server.data_dir, "token-secret"), 60).derive_key(
        TICKET_PURPOSE
    )
    claims = TicketClaims(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    expired = issue_ticket(key, claims, now=datetime.now(UTC) - timedelta(minutes=5))
    forged = issue_ticket(b"not-the-server-key-but-32-bytes!", claims)
    async with httpx.AsyncClient(base_url=live_server.url, timeout=10.0) as http:
        for ticket, code in [
            ("garbage", "invalid_ticket"),
            (forged, "invalid_ticket"),
            (expired, "ticket_expired"),
        ]:
            response = await http.get(EVENTS, params={"ticket": ticket})
            assert response.status_code == 401, response.text
            assert response.headers["content-type"].startswith("application/json")
            assert response.json()["code"] == code

        # A well-signed ticket for a session that does not exist opens nothing either.
        response = await http.get(EVENTS, params={"ticket": issue_ticket(key, claims)})
        assert response.status_code == 401

        # An access token is not a ticket, and a ticket needs a signed-in caller.
        credentials = await login(http, "paiva", "demo")
        response = await http.get(EVENTS, params={"ticket": credentials.access_token})
        assert response.status_code == 401
        response = await http.post(f"{EVENTS}/ticket", json={"client_id": str(uuid.uuid4())})
        assert response.status_code == 401


async def test_stream_sends_heartbeats_and_one_poke_per_commit():
    """The stream itself, without HTTP: heartbeat comments while quiet, one poke per committed version."""
    from litestar.channels import ChannelsPlugin
    from litestar.channels.backends.memory import MemoryChannelsBackend

    from server.sync.stream import poke_stream

    plugin = ChannelsPlugin(backend=MemoryChannelsBackend(), arbitrary_channels_allowed=True)
    async with plugin, asyncio.timeout(DEADLINE):
        messages = poke_stream(plugin, ["scope:unit:a", "scope:user:b"], heartbeat=0.05)
        assert (await anext(messages)).comment == "subscribed"
        assert (await anext(messages)).comment == "heartbeat"
        plugin.publish({"version": 7}, ["scope:unit:a", "scope:user:b"])  # one commit, two of our scopes
        plugin.publish({"version": 8}, ["scope:unit:a"])
        first = await anext(messages)
        assert (first.event, json.loads(first.data)) == ("poke", {"version": 7})
        second = await anext(messages)
        assert (second.event, json.loads(second.data)) == ("poke", {"version": 8})
        await messages.aclose()
