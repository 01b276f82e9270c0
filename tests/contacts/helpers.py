"""Generated guidance data and its figures counted straight from the raw rows (the reports' oracle)."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import RoleAssignment, User
from server.clock import date_in_finland
from server.contacts.models import Contact
from server.contacts.mutations import topic_rows
from server.demo import demo_id
from server.events.models import Event
from server.reference.models import ServicePoint, reference_id

OULU = reference_id("area", "oulu")
KOILLISMAA = reference_id("area", "koillismaa")
CHANNELS = ["phone"] * 6 + ["email", "chat", "service_point", "home_visit", "video", "letter"]
CALLERS = ["client", "relative", "relative", "professional", "anonymous_other"]
TYPES = ["to_service"] * 4 + ["from_service"]
TOPICS = [
    "home_care",
    "memory_issues",
    "housing_services",
    "informal_care_support",
    "meals",
    "transport_services",
]
RESOLUTIONS = ["advice_given"] * 4 + ["referred_to_assessment", "application_started", "callback_agreed"]
CLOSING = {
    "advice_given",
    "referred_to_assessment",
    "application_started",
    "referred_elsewhere",
    "no_action_needed",
}
KINDS = ["info_session", "guidance_event", "group_session"]


async def counsellors(db: AsyncSession, count: int = 4) -> dict[uuid.UUID, list[uuid.UUID]]:
    """`count` counsellors per area (Oulu, Koillismaa), added as users; area -> user ids."""
    found: dict[uuid.UUID, list[uuid.UUID]] = {}
    for area, code in ((OULU, "oulu"), (KOILLISMAA, "koillismaa")):
        found[area] = []
        for n in range(count):
            user_id = demo_id("user", f"gen-{code}-{n}")
            if await db.get(User, user_id) is None:
                db.add(
                    User(
                        id=user_id,
                        username=f"gen-{code}-{n}",
                        display_name=f"Ohjaaja {code} {n}",
                        password_hash="x",
                        roles=[RoleAssignment(role="counsellor", area_id=area)],
                    )
                )
            found[area].append(user_id)
    await db.flush()
    return found


async def generate(db: AsyncSession, seed: int, contacts: int, events: int) -> None:
    """Random contacts and events over Oulu and Koillismaa in Nov-Dec 2026, written straight to the tables."""
    rng = random.Random(seed)
    people = await counsellors(db)
    points = {
        area: [
            None,
            *(await db.execute(select(ServicePoint.id).where(ServicePoint.area_id == area))).scalars(),
        ]
        for area in people
    }
    start = datetime(2026, 11, 1, tzinfo=UTC) - timedelta(hours=2)
    for _ in range(contacts):
        area = rng.choice([OULU, OULU, KOILLISMAA])
        at = start + timedelta(minutes=rng.randrange(0, 61 * 24 * 60))
        row = Contact(
            id=uuid.UUID(int=rng.getrandbits(128)),
            occurred_at=at,
            month=date_in_finland(at).strftime("%Y-%m"),
            channel=rng.choice(CHANNELS),
            caller_type=rng.choice(CALLERS),
            contact_type=rng.choice(TYPES),
            topics=rng.sample(TOPICS, rng.choice([1, 1, 2, 3])),
            resolution=rng.choice(RESOLUTIONS),
            follow_up=rng.random() < 0.2,
            area_id=area,
            service_point_id=rng.choice(points[area]),
            counsellor_id=rng.choice(people[area]),
            duration_minutes=rng.randrange(2, 40),
        )
        db.add(row)
        db.add_all(topic_rows(row))
    for _ in range(events):
        area = rng.choice([OULU, KOILLISMAA])
        held = date(2026, 11, 1) + timedelta(days=rng.randrange(0, 61))
        organiser = rng.choice(people[area])
        db.add(
            Event(
                id=uuid.UUID(int=rng.getrandbits(128)),
                kind=rng.choice(KINDS),
                title="Tietoa kotihoidosta",
                topics=["home_care"],
                held_on=held,
                month=held.strftime("%Y-%m"),
                area_id=area,
                service_point_id=rng.choice(points[area]),
                organiser_id=organiser,
                participant_count=rng.choice([0, 2, 3, 6, 8, 12, 25]),
                updated_by=organiser,
            )
        )
    await db.commit()


def groups_of(area, point, counsellor) -> list[tuple]:
    return [("region",), ("area", area), ("service_point", area, point), ("counsellor", area, counsellor)]


def row_group(row) -> tuple:
    if row.level == "region":
        return ("region",)
    if row.level == "area":
        return ("area", row.area_id)
    if row.level == "service_point":
        return ("service_point", row.area_id, row.service_point_id)
    return ("counsellor", row.area_id, row.counsellor_id)


async def raw_contact_counts(db: AsyncSession) -> Counter:
    """(month, group, dimension, code) -> contacts, from the contact rows themselves."""
    counts: Counter = Counter()
    for c in (await db.execute(select(Contact))).scalars():
        month = date_in_finland(c.occurred_at).strftime("%Y-%m")
        for g in groups_of(c.area_id, c.service_point_id, c.counsellor_id):
            counts[(month, g, "total", None)] += 1
            for dimension in ("channel", "caller_type", "contact_type", "resolution"):
                counts[(month, g, dimension, getattr(c, dimension))] += 1
            for topic in c.topics:
                counts[(month, g, "topic", topic)] += 1
            if c.contact_type == "to_service" and not c.follow_up:
                counts[(month, g, "first", None)] += 1
                counts[(month, g, "resolved", None)] += c.resolution in CLOSING
    return counts


async def raw_event_counts(db: AsyncSession) -> tuple[Counter, Counter]:
    events: Counter = Counter()
    people: Counter = Counter()
    for e in (await db.execute(select(Event))).scalars():
        for g in groups_of(e.area_id, e.service_point_id, e.organiser_id):
            for kind in (e.kind, None):
                events[(e.held_on.strftime("%Y-%m"), g, kind)] += 1
                people[(e.held_on.strftime("%Y-%m"), g, kind)] += e.participant_count
    return events, people
