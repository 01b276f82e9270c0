"""Helpers for guidance tests: a counsellor of another area, clients and PTA processes through mutations."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import RoleAssignment, User
from server.accounts.passwords import hash_password, hasher
from server.clock import FINLAND, today_in_finland
from server.demo import DEMO_PASSWORD, demo_id
from server.reference.models import reference_id
from server.settings import Settings
from tests.sync.domain_helpers import OULU_CITY, push_one

KOILLISMAA = reference_id("area", "koillismaa")
EXTRA_USERS = {
    "ohjaaja_k": [("counsellor", KOILLISMAA, None)],
    "ohjaaja_2": [("counsellor", reference_id("area", "oulu"), None)],
    "esihenkilo_oulu": [("supervisor", reference_id("area", "oulu"), None)],
}


async def add_users(db: AsyncSession, settings: Settings) -> None:
    password = hash_password(DEMO_PASSWORD, hasher(settings.argon2_time_cost, settings.argon2_memory_kib))
    for username, grants in EXTRA_USERS.items():
        db.add(
            User(
                id=demo_id("user", username),
                username=username,
                display_name=username,
                password_hash=password,
                roles=[RoleAssignment(role=r, area_id=a, unit_id=u) for r, a, u in grants],
            )
        )
    await db.commit()


def days_ago(n: int, hour: int = 10) -> str:
    """`hour` o'clock Finnish time `n` days ago; today before that hour, this moment (a contact is never
    in the future, and the tests run at every hour)."""
    at = datetime.combine(today_in_finland() - timedelta(days=n), time(hour), tzinfo=FINLAND)
    return min(at, datetime.now(FINLAND).replace(microsecond=0)).isoformat()


async def new_client(sync, birth_date: str | None = "1941-03-02", **extra: Any) -> str:
    client_id = str(uuid.uuid4())
    args = {
        "client_id": client_id,
        "first_name": "Aili",
        "last_name": "Korhonen",
        "birth_date": birth_date,
        "municipality_id": OULU_CITY,
        **extra,
    }
    assert await push_one(sync, "client.create", args) is None
    return client_id


async def open_assessment(sync, client_id: str, contacted: int = 0, **extra: Any) -> str:
    assessment_id = str(uuid.uuid4())
    args = {
        "assessment_id": assessment_id,
        "client_id": client_id,
        "contacted_at": days_ago(contacted),
        **extra,
    }
    outcome = await push_one(sync, "assessment.open", args)
    assert outcome is None, outcome
    return assessment_id


def rai(client_id: str, assessment_id: str | None, **extra: Any) -> dict[str, Any]:
    return {
        "rai_id": str(uuid.uuid4()),
        "client_id": client_id,
        "assessment_id": assessment_id,
        "assessed_on": today_in_finland().isoformat(),
        "instrument": "RAI-HC",
        "full": True,
        "maple": 4,
        "cps": 3,
        "adl_h": 2,
        **extra,
    }
