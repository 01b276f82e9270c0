"""The deterministic demo region (protocol §9): reference data, units, the five demo users, clients.

Same input, same output: ids come from UUIDv5 and names from a seeded generator, so tests, screenshots
and the simulator can rely on them. Seeding twice changes nothing.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import RoleAssignment, User
from server.accounts.passwords import hash_password, hasher
from server.clients.models import Client, ClientUnit
from server.clients.sync import publish_client
from server.day_activity.models import Schedule
from server.day_activity.mutations import schedule_data
from server.places.capacity import refresh_all
from server.places.models import Residency, Stay
from server.places.mutations import residency_record, stay_data
from server.reference.loader import load_region, load_units
from server.reference.models import KAARI_NAMESPACE, Unit, reference_id
from server.settings import Settings
from server.sync.changes import ChangeSet
from server.sync.scopes import PLACES, unit_scope

DEMO_PASSWORD = "demo"  # noqa: S105 - the documented demo password (protocol §9)
DEMO_DAY_UNIT, DEMO_SHORT_TERM_UNIT = "oulu-da-1", "oulu-stc-1"

# username, display name, role, scope kind, scope code
DEMO_USERS = [
    ("admin", "Aino Pääkäyttäjä", "admin", None, None),
    ("kotas", "Kaisa Koordinaattori", "coordinator", None, None),
    ("ohjaaja", "Olli Ohjaaja", "counsellor", "area", "oulu"),
    ("paiva", "Päivi Päivätoiminta", "unit_staff", "unit", DEMO_DAY_UNIT),
    ("hoiva", "Hannu Hoiva", "unit_staff", "unit", DEMO_SHORT_TERM_UNIT),
]

FIRST_NAMES = [
    "Aili",
    "Aune",
    "Eino",
    "Elli",
    "Helmi",
    "Ilmari",
    "Irja",
    "Kalevi",
    "Kerttu",
    "Lauri",
    "Lempi",
    "Martti",
    "Mirjami",
    "Niilo",
    "Oiva",
    "Orvokki",
    "Pentti",
    "Raili",
    "Reino",
    "Saima",
    "Sulo",
    "Tauno",
    "Tyyne",
    "Unto",
    "Vieno",
    "Väinö",
    "Aarne",
    "Hilkka",
    "Toivo",
    "Siiri",
    "Veikko",
    "Anna-Liisa",
    "Erkki",
    "Maija",
]
LAST_NAMES = [
    "Heikkinen",
    "Juntunen",
    "Karjalainen",
    "Kemppainen",
    "Kinnunen",
    "Koivisto",
    "Korhonen",
    "Lehtola",
    "Leinonen",
    "Mattila",
    "Niemelä",
    "Ojala",
    "Pesonen",
    "Pietilä",
    "Rautio",
    "Riekki",
    "Salmela",
    "Sipola",
    "Tervo",
    "Tuomela",
    "Väänänen",
    "Ylitalo",
    "Haapala",
    "Kangas",
    "Laitinen",
    "Mäkelä",
    "Oikarinen",
]
CLIENT_SHARE = {"day_activity": 1.5, "housing_24h": 0.9, "short_term_care": 0.5}
# Short-term bookings in the small unit, as (client number, first day, last day) counted from the seeding day.
DEMO_STAYS = [(0, 2, 8), (1, 5, 11)]
# Weekly day-activity schedules of the DEMO_DAY_UNIT clients: client n attends DEMO_WEEKDAYS[n % 5], twelve
# clients a day (the unit has 20 places Monday to Thursday, 15 on Friday).
DEMO_WEEKDAYS = [["mon", "wed"], ["tue", "thu"], ["wed", "fri"], ["mon", "thu"], ["tue", "fri"]]


def demo_id(kind: str, key: str) -> uuid.UUID:
    return uuid.uuid5(KAARI_NAMESPACE, f"demo:{kind}:{key}")


async def seed_demo(session: AsyncSession, settings: Settings) -> bool:
    """Seed the demo region; returns False (and does nothing) if it is already there."""
    if (await session.execute(select(User.id).where(User.username == "admin"))).first():
        return False
    await load_region(session)
    await load_units(session)
    ph = hasher(settings.argon2_time_cost, settings.argon2_memory_kib)
    password_hash = hash_password(DEMO_PASSWORD, ph)
    for username, name, role, scope, code in DEMO_USERS:
        grant = RoleAssignment(
            id=demo_id("role", username),
            role=role,
            area_id=reference_id("area", code) if scope == "area" else None,
            unit_id=reference_id("unit", code) if scope == "unit" else None,
        )
        session.add(
            User(
                id=demo_id("user", username),
                username=username,
                display_name=name,
                password_hash=password_hash,
                roles=[grant],
            )
        )
    await session.flush()
    await _seed_clients(session)
    return True


async def _seed_clients(session: AsyncSession) -> None:
    rng = random.Random(2026)
    today = date(2026, 1, 1)
    units = (await session.execute(select(Unit).order_by(Unit.code))).scalars().all()
    changes, clients, residencies = ChangeSet(), [], []
    for unit in units:
        for n in range(int(unit.capacity * CLIENT_SHARE[unit.kind])):
            key = f"{unit.code}:{n}"
            birth = date(1930, 1, 1) + timedelta(days=rng.randrange(0, 365 * 25))
            client = Client(
                id=demo_id("client", key),
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(LAST_NAMES),
                birth_date=birth,
                municipality_id=unit.municipality_id,
                phone=f"040 {rng.randrange(100, 999)} {rng.randrange(1000, 9999)}",
                address=None,
            )
            session.add(client)
            session.add(
                ClientUnit(id=demo_id("client_unit", key), client_id=client.id, unit_id=unit.id, since=today)
            )
            clients.append(client)
            if unit.kind == "housing_24h":
                residencies.append(
                    Residency(
                        id=demo_id("residency", key), client_id=client.id, unit_id=unit.id, move_in=today
                    )
                )
    await session.flush()
    for client in clients:
        await publish_client(session, changes, client)
    await _seed_places(session, changes, residencies)
    await changes.flush(session)


async def _seed_places(session: AsyncSession, changes: ChangeSet, residencies: list[Residency]) -> None:
    """Residents of every 24h unit, a couple of bookings in the small short-term unit, and every unit's free
    places for the next 60 days (dated from the day of seeding: free places are always about today)."""
    session.add_all(residencies)
    day = date.today()
    unit_id = reference_id("unit", DEMO_SHORT_TERM_UNIT)
    stays = [
        Stay(
            id=demo_id("stay", f"{DEMO_SHORT_TERM_UNIT}:{n}"),
            client_id=demo_id("client", f"{DEMO_SHORT_TERM_UNIT}:{n}"),
            unit_id=unit_id,
            start_date=day + timedelta(days=first),
            end_date=day + timedelta(days=last),
            status="booked",
        )
        for n, first, last in DEMO_STAYS
    ]
    session.add_all(stays)
    schedules = await _demo_schedules(session)
    session.add_all(schedules)
    await session.flush()
    for schedule in schedules:
        changes.put("schedule", schedule.id, schedule_data(schedule), [unit_scope(schedule.unit_id)])
    for residency in residencies:
        changes.put(
            "residency", residency.id, residency_record(residency, []), _place_scopes(residency.unit_id)
        )
    for stay in stays:
        changes.put("stay", stay.id, stay_data(stay), _place_scopes(stay.unit_id))
    await refresh_all(session, changes, day)


async def _demo_schedules(session: AsyncSession) -> list[Schedule]:
    unit_id = reference_id("unit", DEMO_DAY_UNIT)
    links = await session.execute(
        select(ClientUnit.client_id, ClientUnit.since).where(ClientUnit.unit_id == unit_id)
    )
    since = {client_id: start for client_id, start in links}
    schedules = []
    for n in range(len(since)):
        client_id = demo_id("client", f"{DEMO_DAY_UNIT}:{n}")
        if client_id in since:
            schedules.append(
                Schedule(
                    id=demo_id("schedule", f"{DEMO_DAY_UNIT}:{n}"),
                    client_id=client_id,
                    unit_id=unit_id,
                    weekdays=DEMO_WEEKDAYS[n % len(DEMO_WEEKDAYS)],
                    valid_from=since[client_id],
                )
            )
    return schedules


def _place_scopes(unit_id: uuid.UUID) -> list[str]:
    return [PLACES, unit_scope(unit_id)]


def demo_sign_ins() -> str:
    lines = ["Demo sign-ins (password for all: demo):"]
    for username, name, role, scope, code in DEMO_USERS:
        where = f" — {scope} {code}" if scope else " — whole region"
        lines.append(f"  {username:<8} {role:<12} {name}{where}")
    return "\n".join(lines)
