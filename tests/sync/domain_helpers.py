"""Helpers for the domain mutation tests: replicas, raw pushes (to replay a batch) and database checks."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.demo import DEMO_DAY_UNIT, DEMO_SHORT_TERM_UNIT, demo_id
from server.reference.models import reference_id
from sync_protocol.client import MemoryStore, Replica, login

OULU = str(reference_id("area", "oulu"))
KOILLISMAA = str(reference_id("area", "koillismaa"))
OULU_CITY = str(reference_id("municipality", "564"))
KUUSAMO = str(reference_id("municipality", "305"))
DAY_UNIT = str(reference_id("unit", DEMO_DAY_UNIT))
STC_UNIT = str(reference_id("unit", DEMO_SHORT_TERM_UNIT))
DAY_CLIENT = str(demo_id("client", f"{DEMO_DAY_UNIT}:0"))
DAY_CLIENT_2 = str(demo_id("client", f"{DEMO_DAY_UNIT}:1"))
STC_CLIENT = str(demo_id("client", f"{DEMO_SHORT_TERM_UNIT}:0"))


def user_id(username: str) -> uuid.UUID:
    return demo_id("user", username)


async def replica(client, username: str) -> Replica:
    credentials = await login(client, username, "demo")
    return Replica(MemoryStore(), credentials, http=client)


def contact_args(**overrides: Any) -> dict[str, Any]:
    args = {
        "contact_id": str(uuid.uuid4()),
        "occurred_at": "2026-11-20T14:05:00+02:00",
        "channel": "phone",
        "caller_type": "relative",
        "contact_type": "to_service",
        "topics": ["home_care", "memory_issues"],
        "resolution": "advice_given",
        "area_id": OULU,
        "service_point_id": None,
        "client_id": None,
        "note": "Asked about home care.",
    }
    args.update(overrides)
    return args


def envelope(seq: int, name: str, args: dict[str, Any], base_version: int | None = None) -> dict[str, Any]:
    body = {
        "id": str(uuid.uuid4()),
        "seq": seq,
        "name": name,
        "version": 1,
        "args": args,
        "client_time": datetime.now(UTC).isoformat(),
    }
    if base_version is not None:
        body["base_version"] = base_version
    return body


async def raw_push(http, replica: Replica, mutations: list[dict[str, Any]]) -> dict[str, Any]:
    """POST one push batch as given (so the same batch can be sent twice)."""
    response = await http.post(
        "/api/sync/v1/push",
        json={
            "protocol": 1,
            "client_id": str(replica.client_id),
            "app_build": "test",
            "schema_version": 1,
            "mutations": mutations,
        },
        headers=replica.credentials.headers(),
    )
    assert response.status_code == 200, response.text
    return response.json()


async def push_one(replica: Replica, name: str, args: dict[str, Any], base_version: int | None = None):
    """Queue and push one mutation with the reference client; the held outcome (None when applied)."""
    pending = await replica.mutate(name, args, base_version=base_version)
    await replica.push()
    return next((o for o in replica.outcomes() if o.id == pending.id), None)


async def fresh(db: AsyncSession) -> AsyncSession:
    """End the session's read transaction so the next query sees what the app committed."""
    await db.rollback()
    db.expunge_all()
    return db
