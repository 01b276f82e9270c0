"""Pokes as Server-Sent Events (protocol §5), authenticated with a short-lived ticket.

`EventSource` cannot send an `Authorization` header, so a signed-in app first asks
`POST /api/sync/v1/events/ticket` `{client_id}` → `{ticket, expires_in}` and opens
`GET /api/sync/v1/events?ticket=…`.

A ticket is a JWT (HS256) binding user, sign-in session, device and client_id, valid for 60 seconds,
signed with a key derived from the app's token secret for this one purpose, so it can never pass as an
access token nor an access token as a ticket. It is stateless rather than stored: any web process (with
Redis pub/sub behind them) can open the stream without a shared ticket table, and nothing needs cleaning
up. Replaying a ticket within its minute opens another stream for the same user, nothing more. Opening
the stream re-reads the session, device and user, so a sign-out or revocation refuses new streams.

The stream subscribes to the channels of the user's scopes (`scopes_for`, as a pull computes them), sends
`event: poke` / `data: {"version": N}` for every change committed in them, and a comment every 15 s
so proxies and the client can tell a quiet stream from a dead one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import jwt
import msgspec
from litestar import Controller, get, post
from litestar.channels import ChannelsPlugin
from litestar.params import FromQuery, JSONBody
from litestar.response import ServerSentEvent, ServerSentEventMessage
from sqlalchemy.ext.asyncio import async_sessionmaker

from server.accounts.principal import principal_for_session
from server.accounts.scopes import scopes_for
from server.accounts.tokens import AccessClaims
from server.deps import Context, CurrentPrincipal, DbSession
from server.errors import DeviceRevoked, Unauthenticated
from server.sync.pokes import scope_channel
from server.sync.replicas import bind_replica

TICKET_SECONDS = 60
HEARTBEAT_SECONDS = 15.0
RETRY_MS = 5000
_TICKET_TYPE = "sync-events"


class TicketRequest(msgspec.Struct, forbid_unknown_fields=True):
    client_id: uuid.UUID


class Ticket(msgspec.Struct):
    ticket: str
    expires_in: int


class TicketClaims(msgspec.Struct, frozen=True):
    user_id: uuid.UUID
    session_id: uuid.UUID
    device_id: uuid.UUID
    client_id: uuid.UUID


TICKET_PURPOSE = "sync-events-ticket:v1"


def _key(context: Context) -> bytes:
    """The signing key of tickets: the token secret, narrowed to this one purpose."""
    return context.tokens.derive_key(TICKET_PURPOSE)


def issue_ticket(key: bytes, claims: TicketClaims, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    payload = {
        "typ": _TICKET_TYPE,
        "sub": str(claims.user_id),
        "sid": str(claims.session_id),
        "did": str(claims.device_id),
        "cid": str(claims.client_id),
        "iat": now,
        "exp": now + timedelta(seconds=TICKET_SECONDS),
        "jti": secrets.token_urlsafe(8),
    }
    return jwt.encode(payload, key, algorithm="HS256")


def read_ticket(key: bytes, ticket: str) -> TicketClaims:
    try:
        claims = jwt.decode(
            ticket, key, algorithms=["HS256"], options={"require": ["exp", "sub", "sid", "did", "cid", "typ"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated(
            "The events ticket has expired; ask for a new one.", code="ticket_expired"
        ) from exc
    except jwt.PyJWTError as exc:
        raise Unauthenticated("The events ticket is not valid.", code="invalid_ticket") from exc
    if claims.get("typ") != _TICKET_TYPE:
        raise Unauthenticated("The events ticket is not valid.", code="invalid_ticket")
    try:
        return TicketClaims(
            uuid.UUID(claims["sub"]),
            uuid.UUID(claims["sid"]),
            uuid.UUID(claims["did"]),
            uuid.UUID(claims["cid"]),
        )
    except ValueError as exc:
        raise Unauthenticated("The events ticket is not valid.", code="invalid_ticket") from exc


async def _scopes_of(context: Context, claims: TicketClaims) -> set[str]:
    """The user's scopes now, after checking the sign-in is still live (its own short session)."""
    async with async_sessionmaker(context.engine, expire_on_commit=False)() as session:
        try:
            principal = await principal_for_session(
                session, AccessClaims(claims.user_id, claims.session_id, claims.device_id)
            )
        except (Unauthenticated, DeviceRevoked) as exc:
            raise Unauthenticated("The sign-in behind this ticket has ended. Sign in again.") from exc
        scopes = await scopes_for(session, principal)
        await session.commit()
        return scopes


async def poke_stream(
    plugin: ChannelsPlugin, channels: list[str], heartbeat: float = HEARTBEAT_SECONDS
) -> AsyncIterator[ServerSentEventMessage]:
    """Pokes on `channels` as SSE messages; a comment when nothing happened for `heartbeat` seconds."""
    async with plugin.start_subscription(channels) as subscriber:
        queue: asyncio.Queue[bytes] = asyncio.Queue()

        async def pump() -> None:
            async for event in subscriber.iter_events():
                await queue.put(event)

        task = asyncio.create_task(pump())
        try:
            # Subscribed: from here on no commit in these scopes can be missed. Tell the client.
            yield ServerSentEventMessage(comment="subscribed", retry=RETRY_MS)
            last = None
            while True:
                try:
                    raw = await asyncio.wait_for(queue.get(), heartbeat)
                except TimeoutError:
                    yield ServerSentEventMessage(comment="heartbeat")
                    continue
                try:
                    version = int(json.loads(raw).get("version") or 0)
                except (ValueError, AttributeError, TypeError):
                    version = 0
                if version and version == last:
                    continue  # the same commit touched several of this client's scopes
                last = version
                yield ServerSentEventMessage(event="poke", data=json.dumps({"version": version}))
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


class SyncStreamController(Controller):
    path = "/api/sync/v1/events"
    tags = ["sync"]

    @post("/ticket", operation_id="syncEventsTicket", status_code=200)
    async def ticket(
        self,
        data: JSONBody[TicketRequest],
        principal: CurrentPrincipal,
        db_session: DbSession,
        context: Context,
    ) -> Ticket:
        """A 60-second ticket to open the poke stream for this signed-in user, device and client."""
        user_id = principal.require_user()
        assert principal.session_id is not None
        # Refuses a client_id bound to another device or user; one not registered yet is fine.
        await bind_replica(db_session, principal, data.client_id, create=False)
        await db_session.commit()
        claims = TicketClaims(user_id, principal.session_id, principal.device_id, data.client_id)
        return Ticket(ticket=issue_ticket(_key(context), claims), expires_in=TICKET_SECONDS)

    @get("/", operation_id="syncEvents")
    async def events(self, ticket: FromQuery[str], context: Context) -> ServerSentEvent:
        """Pokes (protocol §5): `event: poke` with `data: {"version": N}` per commit in the caller's scopes."""
        claims = read_ticket(_key(context), ticket)
        scopes = await _scopes_of(context, claims)
        channels = sorted(scope_channel(s) for s in scopes)
        return ServerSentEvent(poke_stream(context.pokes.plugin, channels))
