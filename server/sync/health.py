"""Sync health: what each replica reports with its pulls, and the server's own figures about it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.principal import Principal
from server.db import begin_write, utcnow
from server.sync.clients_registry import bind_client
from server.sync.models import SyncClient
from sync_protocol.messages import PullRequest, PullResponse

# Write the pull time at most this often per client when nothing else changed (pulls are frequent).
QUIET_WRITE = timedelta(seconds=30)


def _skew_ms(header: str | None, server_time: datetime) -> int | None:
    if not header:
        return None
    try:
        told = datetime.fromisoformat(header)
    except ValueError:
        return None
    if told.tzinfo is None:
        return None
    return int((server_time - told).total_seconds() * 1000)


async def record_pull(
    session: AsyncSession,
    principal: Principal,
    request: PullRequest,
    response: PullResponse,
    client: SyncClient | None,
    client_time: str | None,
) -> None:
    """Store the health report and pull time; registers the client on its first pull."""
    now = utcnow()
    health: dict[str, Any] | None = None
    if request.health is not None:
        import msgspec

        health = msgspec.to_builtins(request.health)
    quiet = (
        client is not None
        and client.last_pull_at is not None
        and now - client.last_pull_at < QUIET_WRITE
        and health == client.health
        and not request.resync_scopes
    )
    if quiet:
        return
    await begin_write(session)
    client = await bind_client(session, principal, request.client_id, create=True)
    assert client is not None
    client.last_pull_at = now
    if health is not None:
        client.health = health
        client.app_build = (
            request.health.app_build or client.app_build if request.health else client.app_build
        )
    skew = _skew_ms(client_time, response.server_time)
    if skew is not None:
        client.clock_skew_ms = skew
    if request.resync_scopes:
        client.checksum_mismatches += 1
    await session.commit()
