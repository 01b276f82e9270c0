"""The deterministic demo region (protocol §9): reference data, units, the five demo users, clients.

Same input, same output: ids come from UUIDv5 and names from a seeded generator, so tests, screenshots
and the simulator can rely on them. Seeding twice changes nothing.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import RoleAssignment, User
from server.accounts.passwords import hash_password, hasher
from server.accounts.scopes import area_scope, unit_scope, user_scope
from server.applications.models import Application
from server.applications.mutations import application_data, application_scopes
from server.assessments.deadlines import age_on, deadline_for, rule_for
from server.assessments.models import Assessment, AssessmentStep, RaiAssessment, referral_id_for
from server.assessments.sync import assessment_scopes, publish_assessment, rai_data
from server.calendar_fi import add_working_days, is_working_day
from server.clients.models import Client, ClientArea, ClientService, ClientUnit, ClosePerson, Consent
from server.clients.sync import client_data, client_service_data, close_person_data, consent_data
from server.clock import FINLAND, date_in_finland, today_in_finland, utc_now
from server.contacts.models import Contact
from server.contacts.mutations import contact_data, contact_scopes, topic_rows
from server.day_activity.models import Schedule
from server.day_activity.mutations import schedule_data
from server.events.models import Event, EventParticipant
from server.events.mutations import event_data, event_scopes
from server.places.capacity import refresh_all
from server.places.models import Residency, ResidencyAbsence, Stay, StaySeries, series_stay_id
from server.places.mutations import record_scopes, residency_record, series_data, stay_data
from server.places.series import period_dates
from server.queue.models import Offer, QueueEntry, Referral, queue_entry_id
from server.queue.mutations import OFFER_HOURS
from server.queue.sync import entry_data, publish_offer, queue_scopes, referral_data, refresh_queues
from server.reference.loader import load_region, load_units
from server.reference.models import KAARI_NAMESPACE, Area, Municipality, ServicePoint, Unit, reference_id
from server.settings import Settings
from server.sync.changes import ChangeSet

DEMO_PASSWORD = "demo"  # noqa: S105 - the documented demo password (protocol §9)
DEMO_DAY_UNIT, DEMO_SHORT_TERM_UNIT = "oulu-da-1", "oulu-stc-1"

# username, display name, role, scope kind, scope code
DEMO_USERS = [
    ("admin", "Aino Pääkäyttäjä", "admin", None, None),
    ("kotas", "Kaisa Koordinaattori", "coordinator", None, None),
    ("ohjaaja", "Olli Ohjaaja", "counsellor", "area", "oulu"),
    ("paiva", "Päivi Päivätoiminta", "unit_staff", "unit", DEMO_DAY_UNIT),
    ("hoiva", "Hannu Hoiva", "unit_staff", "unit", DEMO_SHORT_TERM_UNIT),
    # The guidance side of the county: counsellors in every area, and their region-wide supervisor.
    ("ohjaaja2", "Outi Neuvonen", "counsellor", "area", "oulu"),
    ("ohjaaja-koillismaa", "Kalle Kuusela", "counsellor", "area", "koillismaa"),
    ("ohjaaja-lakeus", "Leena Lakkala", "counsellor", "area", "lakeus"),
    ("ohjaaja-oulunkaari", "Olavi Ukkola", "counsellor", "area", "oulunkaari"),
    ("ohjaaja-rannikko", "Riitta Rantala", "counsellor", "area", "rannikkoseutu"),
    ("ohjaaja-etela", "Eija Eskola", "counsellor", "area", "oulun_etelainen"),
    ("ohjaus-esihenkilo", "Sanna Esikunta", "supervisor", None, None),
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
    await load_region(session, ChangeSet())
    await load_units(session, ChangeSet())
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
    county = await _County.load(session)
    _seed_clients(county)
    _seed_places(county)
    _seed_guidance(county)
    await county.write()
    return True


# --- the county being built -------------------------------------------------------------------------------


@dataclass
class _County:
    """Everything the demo adds, built in memory, then written in bulk and published once."""

    session: AsyncSession
    today: date
    now: datetime
    units: list[Unit]
    area_codes: dict[uuid.UUID, str]
    municipalities: dict[str, list[uuid.UUID]]
    service_points: dict[str, list[uuid.UUID]]
    counsellors: dict[str, list[uuid.UUID]]
    rows: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))
    guidance_clients: dict[str, list[Client]] = field(default_factory=lambda: defaultdict(list))
    changes: ChangeSet = field(default_factory=ChangeSet)

    @classmethod
    async def load(cls, session: AsyncSession) -> _County:
        units = list((await session.execute(select(Unit).order_by(Unit.code))).scalars())
        areas = {a.id: a.code for a in (await session.execute(select(Area))).scalars()}
        municipalities: dict[str, list[uuid.UUID]] = defaultdict(list)
        for m in (await session.execute(select(Municipality).order_by(Municipality.code))).scalars():
            municipalities[areas[m.area_id]].append(m.id)
        points: dict[str, list[uuid.UUID]] = defaultdict(list)
        for p in (await session.execute(select(ServicePoint).order_by(ServicePoint.code))).scalars():
            points[areas[p.area_id]].append(p.id)
        counsellors: dict[str, list[uuid.UUID]] = defaultdict(list)
        for username, _name, role, scope, code in DEMO_USERS:
            if role == "counsellor" and scope == "area":
                counsellors[code].append(demo_id("user", username))
        now = utc_now().replace(microsecond=0)
        return cls(session, today_in_finland(now), now, units, areas, municipalities, points, counsellors)

    def add(self, kind: str, *rows: Any) -> None:
        self.rows[kind].extend(rows)

    async def write(self) -> None:
        """Insert the rows table by table (parents first), publish every synced record, flush the log."""
        for kind in WRITE_ORDER:
            rows = self.rows.get(kind)
            if rows:
                self.session.add_all(rows)
                await self.session.flush()
        self._publish()
        await refresh_all(self.session, self.changes, self.today)
        await refresh_queues(self.session, self.changes, self.today)
        await self.changes.flush(self.session)

    def _publish(self) -> None:
        put, rows = self.changes.put, self.rows
        scopes: dict[uuid.UUID, set[str]] = defaultdict(set)
        for link in rows["client_unit"]:
            if link.until is None or link.until >= self.today:
                scopes[link.client_id].add(unit_scope(link.unit_id))
        for link in rows["client_area"]:
            scopes[link.client_id].add(area_scope(link.area_id))
        for service in rows["client_service"]:
            if service.kind == "counsellor" and (service.until is None or service.until >= self.today):
                scopes[service.client_id].add(user_scope(service.counsellor_id))
        for client in rows["client"]:
            put("client", client.id, client_data(client), scopes[client.id])
        for kind, data in (
            ("close_person", close_person_data),
            ("consent", consent_data),
            ("client_service", client_service_data),
        ):
            for row in rows[kind]:
                put(kind, row.id, data(row), scopes[row.client_id])
        for schedule in rows["schedule"]:
            put("schedule", schedule.id, schedule_data(schedule), [unit_scope(schedule.unit_id)])
        absences: dict[uuid.UUID, list[ResidencyAbsence]] = defaultdict(list)
        for absence in rows["residency_absence"]:
            absences[absence.residency_id].append(absence)
        for residency in rows["residency"]:
            put(
                "residency",
                residency.id,
                residency_record(residency, absences[residency.id]),
                record_scopes(residency.unit_id),
            )
        for stay in rows["stay"]:
            put("stay", stay.id, stay_data(stay), record_scopes(stay.unit_id))
        for series in rows["stay_series"]:
            periods = [s for s in rows["stay"] if s.series_id == series.id]
            put("stay_series", series.id, series_data(series, periods), record_scopes(series.unit_id))
        for contact in rows["contact"]:
            put("contact", contact.id, contact_data(contact), contact_scopes(contact))
        named: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        for participant in rows["event_participant"]:
            named[participant.event_id].append(participant.client_id)
        for event in rows["event"]:
            put("event", event.id, event_data(event, sorted(named[event.id])), event_scopes(event))
        for assessment in rows["assessment"]:
            publish_assessment(self.changes, assessment)
        parents = {a.id: a for a in rows["assessment"]}
        for rai in rows["rai"]:
            put("rai_assessment", rai.id, rai_data(rai), assessment_scopes(parents[rai.assessment_id]))
        for application in rows["application"]:
            put("application", application.id, application_data(application), application_scopes(application))
        for referral in rows["referral"]:
            put("referral", referral.id, referral_data(referral), queue_scopes(referral.area_id))
        for entry in rows["queue_entry"]:
            if entry.status not in ("waiting", "offered"):  # the active ones are ranked by refresh_queues
                put("queue_entry", entry.id, entry_data(entry, None, None), queue_scopes(entry.area_id))
        for offer in rows["offer"]:
            publish_offer(self.changes, offer)


WRITE_ORDER = (
    "client",
    "client_unit",
    "client_area",
    "client_service",
    "close_person",
    "consent",
    "schedule",
    "residency",
    "residency_absence",
    "stay_series",
    "stay",
    "contact",
    "contact_topic",
    "event",
    "event_participant",
    "assessment",
    "assessment_step",
    "rai",
    "application",
    "referral",
    "queue_entry",
    "offer",
)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment of a Finnish day, in UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=FINLAND).astimezone(UTC)


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def _pick_some(rng: random.Random, weights: dict[str, int], count: int) -> list[str]:
    picked: list[str] = []
    while len(picked) < count:
        code = _pick(rng, weights)
        if code not in picked:
            picked.append(code)
    return picked


def _working_day_back(day: date) -> date:
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


# --- clients of the units ---------------------------------------------------------------------------------


def _seed_clients(county: _County) -> None:
    """The clients of every unit (CLIENT_SHARE of its places), and a resident in most 24h places."""
    rng = random.Random(2026)
    since = date(2026, 1, 1)
    for unit in county.units:
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
                email=None,
                languages=[],
                service_language=None,
                created_at=county.now,
                revision=1,
                field_versions={},
            )
            county.add("client", client)
            county.add(
                "client_unit",
                ClientUnit(id=demo_id("client_unit", key), client_id=client.id, unit_id=unit.id, since=since),
            )
            if unit.kind == "housing_24h":
                county.add(
                    "residency",
                    Residency(
                        id=demo_id("residency", key), client_id=client.id, unit_id=unit.id, move_in=since
                    ),
                )
                county.add("close_person", _close_person(rng, client, f"{key}:0", "child", county.now))


# --- places ---------------------------------------------------------------------------------------------


def _seed_places(county: _County) -> None:
    """Weekly schedules in every day-activity unit, bookings (and a rotating series) in the short-term
    units, a few absences of 24h residents. The Oulu short-term units keep only the two documented
    bookings of `DEMO_SHORT_TERM_UNIT` (tests and screenshots count on its four places)."""
    rng = random.Random(4)
    for unit in county.units:
        if unit.kind == "day_activity":
            county.add("schedule", *_schedules(rng, unit))
        elif unit.kind == "short_term_care":
            _short_term_bookings(county, rng, unit)
        elif unit.kind == "housing_24h" and not unit.code.startswith("oulu-"):
            for n, reason, first, last in ((0, "hospital", -3, 4), (1, "home_leave", 10, 13)):
                key = f"{unit.code}:{n}"
                county.add(
                    "residency_absence",
                    ResidencyAbsence(
                        id=demo_id("residency_absence", key),
                        residency_id=demo_id("residency", key),
                        start_date=county.today + timedelta(days=first),
                        end_date=county.today + timedelta(days=last),
                        reason=reason,
                    ),
                )


def _schedules(rng: random.Random, unit: Unit) -> list[Schedule]:
    """Two (sometimes one or three) days a week per client; a unit is filled to about 90 % a day."""
    count = int(unit.capacity * CLIENT_SHARE[unit.kind])
    if unit.code == DEMO_DAY_UNIT:
        patterns = [DEMO_WEEKDAYS[n % len(DEMO_WEEKDAYS)] for n in range(count)]
    else:
        days = list(unit.opening_days or [])
        room = {d: int((unit.weekday_capacity or {}).get(d, 0) * 0.9) for d in days}
        patterns = []
        for _ in range(count):
            size = min(len(days), rng.choice([1, 2, 2, 2, 3]))
            free = sorted((d for d in days if room[d] > 0), key=lambda d: (-room[d], rng.random()))
            chosen = [d for d in days if d in free[:size]]
            for d in chosen:
                room[d] -= 1
            patterns.append(chosen)
    return [
        Schedule(
            id=demo_id("schedule", f"{unit.code}:{n}"),
            client_id=demo_id("client", f"{unit.code}:{n}"),
            unit_id=unit.id,
            weekdays=weekdays,
            valid_from=date(2026, 1, 1),
            valid_until=None,
            updated_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
        for n, weekdays in enumerate(patterns)
        if weekdays
    ]


def _short_term_bookings(county: _County, rng: random.Random, unit: Unit) -> None:
    today = county.today
    if unit.code == DEMO_SHORT_TERM_UNIT:
        for n, first, last in DEMO_STAYS:
            county.add("stay", _stay(unit, n, today + timedelta(days=first), today + timedelta(days=last)))
        return
    if unit.code.startswith("oulu-"):
        return
    taken: dict[date, int] = defaultdict(int)
    limit = unit.capacity - 1  # a place is kept free for emergencies

    def fits(start: date, end: date) -> bool:
        return all(taken[start + timedelta(days=d)] < limit for d in range((end - start).days + 1))

    def take(start: date, end: date) -> None:
        for d in range((end - start).days + 1):
            taken[start + timedelta(days=d)] += 1

    # Client 0: regular rotating care for a family carer, one week every fourth week (`stay.book_series`).
    series = StaySeries(
        id=demo_id("stay_series", f"{unit.code}:0"),
        client_id=demo_id("client", f"{unit.code}:0"),
        unit_id=unit.id,
        first_start=today + timedelta(days=7 - today.weekday()),
        period_days=7,
        every_weeks=4,
        periods=6,
        all_or_nothing=False,
        status="active",
        refused=[],
        created_at=county.now,
        updated_at=county.now,
    )
    county.add("stay_series", series)
    for n, (start, end) in enumerate(period_dates(series.first_start, 7, 4, 6)):
        take(start, end)
        stay = Stay(
            id=series_stay_id(series.id, n),
            client_id=series.client_id,
            unit_id=unit.id,
            start_date=start,
            end_date=end,
            status="booked",
            series_id=series.id,
            created_at=county.now,
            updated_at=county.now,
        )
        county.add("stay", stay)
    for n in range(1, int(unit.capacity * CLIENT_SHARE[unit.kind])):
        for k in range(2):  # up to two periods each: one now or soon, one later
            start = today + timedelta(days=rng.randrange(-20, 10) if k == 0 else rng.randrange(20, 55))
            end = start + timedelta(days=rng.choice([4, 6, 6, 9, 13]))
            if fits(start, end):
                take(start, end)
                county.add("stay", _stay(unit, n, start, end, k))


def _stay(unit: Unit, n: int, start: date, end: date, k: int = 0) -> Stay:
    key = f"{unit.code}:{n}" if k == 0 else f"{unit.code}:{n}:{k}"
    return Stay(
        id=demo_id("stay", key),
        client_id=demo_id("client", f"{unit.code}:{n}"),
        unit_id=unit.id,
        start_date=start,
        end_date=end,
        status="booked",
        series_id=None,
    )


# --- guidance ---------------------------------------------------------------------------------------------

# Per area: clients known to guidance, contacts in the last year, events, PTA processes, applications.
# Oulu is about half of the county's people; the rest follow the areas' sizes.
GUIDANCE = {
    "oulu": (120, 1500, 40, 36, 70),
    "lakeus": (45, 520, 16, 14, 26),
    "oulun_etelainen": (40, 460, 14, 12, 22),
    "rannikkoseutu": (32, 360, 12, 10, 18),
    "oulunkaari": (28, 320, 11, 9, 16),
    "koillismaa": (24, 260, 10, 8, 14),
}
CHANNELS = {
    "phone": 55,
    "email": 11,
    "service_point": 10,
    "home_visit": 6,
    "chat": 6,
    "electronic_service": 5,
    "video": 3,
    "letter": 2,
    "other": 2,
}
CALLERS = {"client": 40, "relative": 36, "professional": 17, "anonymous_other": 7}
TOPICS = {
    "home_care": 22,
    "memory_issues": 10,
    "housing_services": 10,
    "informal_care_support": 9,
    "financial_benefits": 8,
    "aids_and_accessibility": 7,
    "safety_services": 6,
    "transport_services": 6,
    "day_activity": 5,
    "short_term_care": 5,
    "meals": 5,
    "loneliness_and_activities": 5,
    "rehabilitation": 4,
    "disability_services": 3,
    "other": 3,
}
RESOLUTIONS = {
    "advice_given": 48,
    "referred_to_assessment": 11,
    "application_started": 8,
    "referred_elsewhere": 10,
    "no_action_needed": 9,
    "callback_agreed": 14,
}
OUTGOING = {"advice_given": 50, "no_action_needed": 20, "callback_agreed": 15, "application_started": 15}
MINUTES = {
    "phone": (4, 25),
    "email": (5, 15),
    "service_point": (15, 45),
    "home_visit": (45, 120),
    "chat": (5, 20),
    "electronic_service": (5, 15),
    "video": (15, 40),
    "letter": (10, 20),
    "other": (5, 30),
}
NOTES = [
    "Omainen kysyi kotihoidon aloittamisesta.",
    "Ohjattu hakemaan omaishoidon tukea.",
    "Sovittu kotikäynti ensi viikolle.",
    "Kysymys kuljetuspalvelun kilometreistä.",
    "Neuvottu muistihoitajan vastaanotolle.",
    "Turvapuhelimen asennus kysytty.",
]
EVENT_TITLES = [
    ("info_session", "Tietoa kotihoidosta", ["home_care"]),
    ("info_session", "Asumisen vaihtoehdot ikääntyessä", ["housing_services"]),
    ("info_session", "Etuudet ja tuet eläkeläiselle", ["financial_benefits"]),
    ("info_session", "Kuljetuspalvelut tutuksi", ["transport_services"]),
    ("guidance_event", "Omaishoitajien iltapäivä", ["informal_care_support"]),
    ("guidance_event", "Turvallisesti kotona", ["safety_services", "aids_and_accessibility"]),
    ("guidance_event", "Aino-neuvonta kirjastolla", ["other"]),
    ("group_session", "Muistikahvila", ["memory_issues"]),
    ("group_session", "Liikuntaryhmä 75+", ["rehabilitation", "loneliness_and_activities"]),
    ("group_session", "Senioriklubi", ["loneliness_and_activities"]),
    ("fair", "Seniorimessut", ["home_care", "housing_services", "aids_and_accessibility"]),
]
PARTICIPANTS = {
    "info_session": (8, 45),
    "guidance_event": (3, 25),
    "group_session": (5, 12),
    "fair": (60, 250),
}
ORGANISERS = [
    "Aino-neuvonta",
    "Aino-neuvonta ja eläkeläisyhdistys",
    "Aino-neuvonta ja muistiyhdistys",
    "Aino-neuvonta ja seurakunta",
]
PLACES_IN_WORDS = ["Kirjaston monitoimisali", "Seurakuntatalo", "Palvelukeskuksen sali", "Kunnantalo"]
STREETS = [
    "Kirkkotie",
    "Koulukatu",
    "Rantatie",
    "Myllytie",
    "Pappilantie",
    "Asemakatu",
    "Koivukuja",
    "Ojatie",
]
RELATIONS = {
    "child": 45,
    "spouse": 30,
    "grandchild": 6,
    "sibling": 5,
    "friend": 4,
    "neighbour": 3,
    "trustee": 4,
}
PLACED_SERVICES = {"home_care": 4, "housing_24h": 3, "day_activity": 2, "short_term_care": 1}
STARTED_SERVICES = ["support_services", "meals", "safety_phone", "family_care_support", "transport_service"]
APPLIED_SERVICES = {
    "home_care": 20,
    "support_services": 15,
    "family_care_support": 14,
    "transport_service": 14,
    "safety_phone": 10,
    "meals": 9,
    "personal_assistance": 8,
    "housing_24h": 6,
    "other": 4,
}
CLOSE_REASONS = {"no_need": 5, "declined_by_client": 3, "moved_away": 1, "deceased": 1, "duplicate": 1}


def _seed_guidance(county: _County) -> None:
    for code, (clients, contacts, events, assessments, applications) in GUIDANCE.items():
        area_id = reference_id("area", code)
        rng = random.Random(f"guidance:{code}")
        _guidance_clients(county, rng, code, area_id, clients)
        _contacts(county, rng, code, area_id, contacts)
        _events(county, rng, code, area_id, events)
        _assessments(county, rng, code, area_id, assessments)
        _applications(county, rng, code, area_id, applications)
        _queue(county, rng, code, area_id)
        # What the draws above can leave out in a small area, from a generator of its own (so the rows
        # above stay as they are): a process ready for a decision, an application nobody handles yet,
        # and a guidance event in every month of the year.
        extra = random.Random(f"guidance-year:{code}")
        _assessments(county, extra, code, area_id, assessments + 1, first=assessments)
        _applications(county, extra, code, area_id, applications + 1, first=applications)
        _events_every_month(county, extra, code, area_id, first=events + 2)


def _guidance_clients(county: _County, rng: random.Random, code: str, area_id: uuid.UUID, count: int) -> None:
    """People living at home whom the area's counsellors work with: close persons and consents."""
    for n in range(count):
        key = f"{code}:{n}"
        municipality_id = rng.choice(county.municipalities[code])
        last_name = rng.choice(LAST_NAMES)
        swedish = rng.random() < 0.03
        client = Client(
            id=demo_id("client", f"guidance:{key}"),
            first_name=rng.choice(FIRST_NAMES),
            last_name=last_name,
            birth_date=date(1928, 1, 1) + timedelta(days=rng.randrange(0, 365 * 30)),
            municipality_id=municipality_id,
            phone=f"040 {rng.randrange(100, 999)} {rng.randrange(1000, 9999)}",
            address=f"{rng.choice(STREETS)} {rng.randrange(1, 60)}",
            email=None if rng.random() < 0.8 else f"{last_name.lower()}{n}@example.fi",
            languages=["sv", "fi"] if swedish else ["fi"],
            service_language="sv" if swedish else "fi",
            created_at=county.now,
            revision=1,
            field_versions={},
        )
        county.add("client", client)
        county.guidance_clients[code].append(client)
        county.add("client_area", ClientArea(client_id=client.id, area_id=area_id, since=county.now))
        people = [_close_person(rng, client, f"guidance:{key}:0", _pick(rng, RELATIONS), county.now, True)]
        if rng.random() < 0.4:
            people.append(_close_person(rng, client, f"guidance:{key}:1", "child", county.now))
        county.add("close_person", *people)
        recorder = rng.choice(county.counsellors[code])
        for purpose, share in (
            ("cross_service_summary", 0.55),
            ("electronic_messages", 0.35),
            ("disclose_to_close_persons", 0.3),
        ):
            if rng.random() >= share:
                continue
            given = county.today - timedelta(days=rng.randrange(1, 365))
            by_other = rng.random() < 0.15
            withdrawn = given + timedelta(days=rng.randrange(0, (county.today - given).days + 1))
            county.add(
                "consent",
                Consent(
                    id=demo_id("consent", f"guidance:{key}:{purpose}"),
                    client_id=client.id,
                    purpose=purpose,
                    given_on=given,
                    given_by="close_person" if by_other else "client",
                    given_by_name=people[0].name if by_other else None,
                    note=None,
                    recorded_by=recorder,
                    recorded_at=_at(given, 12),
                    withdrawn_on=withdrawn if rng.random() < 0.08 else None,
                    withdrawn_by=None,
                ),
            )


def _close_person(
    rng: random.Random, client: Client, key: str, relation: str, now: datetime, primary: bool = True
) -> ClosePerson:
    last = (
        client.last_name
        if relation in ("spouse", "sibling") or rng.random() < 0.6
        else rng.choice(LAST_NAMES)
    )
    return ClosePerson(
        id=demo_id("close_person", key),
        client_id=client.id,
        name=f"{rng.choice(FIRST_NAMES)} {last}",
        relation=relation,
        phone=f"050 {rng.randrange(100, 999)} {rng.randrange(1000, 9999)}",
        email=None,
        address=None,
        primary_contact=primary,
        note=None,
        created_at=now,
        removed_at=None,
    )


def _contact(county: _County, contact: Contact) -> None:
    county.add("contact", contact)
    county.add("contact_topic", *topic_rows(contact))


def _contacts(county: _County, rng: random.Random, code: str, area_id: uuid.UUID, count: int) -> None:
    """A year of contacts from every channel: anonymous by default, some about a known client."""
    points, people = county.service_points[code], county.guidance_clients[code]
    for n in range(count):
        day = county.today - timedelta(days=rng.randrange(1, 366))
        if rng.random() < 0.95:
            day = _working_day_back(day)
        occurred = _at(day, rng.randrange(8, 16), rng.randrange(0, 60))
        channel, caller = _pick(rng, CHANNELS), _pick(rng, CALLERS)
        outgoing = rng.random() < 0.12
        if channel in ("service_point", "home_visit"):
            point = rng.choice(points)
        else:
            point = rng.choice(points) if rng.random() < 0.25 else None
        known = caller in ("client", "relative") and rng.random() < 0.15
        low, high = MINUTES[channel]
        contact = Contact(
            id=demo_id("contact", f"{code}:{n}"),
            occurred_at=occurred,
            month=day.strftime("%Y-%m"),
            channel=channel,
            caller_type=caller,
            contact_type="from_service" if outgoing else "to_service",
            topics=_pick_some(rng, TOPICS, rng.choice([1, 1, 1, 2, 2, 3])),
            resolution=_pick(rng, OUTGOING if outgoing else RESOLUTIONS),
            follow_up=rng.random() < (0.5 if outgoing else 0.15),
            area_id=area_id,
            service_point_id=point,
            client_id=rng.choice(people).id if known else None,
            counsellor_id=rng.choice(county.counsellors[code]),
            note=rng.choice(NOTES) if rng.random() < 0.1 else None,
            duration_minutes=rng.randrange(low, high + 1),
            created_at=occurred,
            linked_at=None,
            linked_by=None,
        )
        _contact(county, contact)


def _events(county: _County, rng: random.Random, code: str, area_id: uuid.UUID, count: int) -> None:
    """Info sessions, guidance events, groups and fairs over the year, two coming up, some clients named."""
    for n in range(count + 2):
        upcoming = n >= count
        held = county.today + timedelta(days=rng.randrange(7, 60) if upcoming else -rng.randrange(1, 366))
        _event(county, rng, code, area_id, n, held, upcoming)


def _events_every_month(
    county: _County, rng: random.Random, code: str, area_id: uuid.UUID, first: int
) -> None:
    """One more event in each of the last twelve months that has none in the area (a year of guidance)."""
    held = {e.held_on.strftime("%Y-%m") for e in county.rows["event"] if e.area_id == area_id}
    n = first
    for back in range(12):
        index = county.today.year * 12 + county.today.month - 1 - back
        month = date(index // 12, index % 12 + 1, 1)
        if month.strftime("%Y-%m") in held:
            continue
        day = month + timedelta(days=rng.randrange(2, 26))
        _event(county, rng, code, area_id, n, min(day, county.today - timedelta(days=1)), False)
        n += 1


def _event(
    county: _County, rng: random.Random, code: str, area_id: uuid.UUID, n: int, held: date, upcoming: bool
) -> None:
    """One event held on `held` (or coming up), some of its participants named."""
    people = county.guidance_clients[code]
    kind, title, topics = rng.choice(EVENT_TITLES)
    organiser = rng.choice(county.counsellors[code])
    point = rng.choice(county.service_points[code]) if rng.random() < 0.5 else None
    low, high = PARTICIPANTS[kind]
    event = Event(
        id=demo_id("event", f"{code}:{n}"),
        kind=kind,
        title=title,
        topics=list(topics),
        held_on=held,
        month=held.strftime("%Y-%m"),
        area_id=area_id,
        service_point_id=point,
        place=None if point else rng.choice(PLACES_IN_WORDS),
        organiser_id=organiser,
        organiser_name=rng.choice(ORGANISERS),
        participant_count=0 if upcoming else rng.randrange(low, high + 1),
        note=None,
        revision=1,
        created_at=county.now,
        updated_at=county.now,
        updated_by=organiser,
    )
    county.add("event", event)
    if not upcoming and rng.random() < 0.25:
        for client in rng.sample(people, min(len(people), rng.randrange(1, 4), event.participant_count)):
            county.add(
                "event_participant",
                EventParticipant(
                    event_id=event.id, client_id=client.id, added_at=county.now, added_by=organiser
                ),
            )


def _assessments(
    county: _County, rng: random.Random, code: str, area_id: uuid.UUID, count: int, first: int = 0
) -> None:
    """PTA processes in every state: overdue and due-soon ones, started ones with a draft or a locked RAI,
    decisions (granted placeable services wait in the queue), services started, processes closed. Those
    past the area's planned count (`GUIDANCE`) are started with a locked full RAI, waiting for a decision."""
    today = county.today
    for n in range(first, count):
        client = county.guidance_clients[code][n]
        key = f"{code}:{n}"
        counsellor = rng.choice(county.counsellors[code])
        ready = n >= GUIDANCE[code][3]
        if n == 0:
            days_ago = 16  # past its 7-working-day deadline, not started: overdue
        elif n == 1:
            days_ago = 5  # due soon
        elif ready:
            days_ago = 20  # started, assessed and locked: the decision is the next step
        else:
            days_ago = rng.randrange(1, 300)
        contact_on = _working_day_back(today - timedelta(days=days_ago))
        contacted_at = _at(contact_on, rng.randrange(8, 15), rng.randrange(0, 60))
        urgent = rng.random() < 0.15 and n > 1
        age = age_on(client.birth_date, contact_on)
        rule = rule_for(urgent, age)
        contact = Contact(
            id=demo_id("contact", f"pta:{key}"),
            occurred_at=contacted_at,
            month=contact_on.strftime("%Y-%m"),
            channel=_pick(rng, {"phone": 6, "service_point": 2, "email": 1}),
            caller_type=_pick(rng, {"client": 4, "relative": 5, "professional": 2}),
            contact_type="to_service",
            topics=_pick_some(rng, TOPICS, 1),
            resolution="referred_to_assessment",
            follow_up=False,
            area_id=area_id,
            service_point_id=None,
            client_id=client.id,
            counsellor_id=counsellor,
            note=None,
            duration_minutes=rng.randrange(8, 30),
            created_at=contacted_at,
            linked_at=None,
            linked_by=None,
        )
        _contact(county, contact)
        row = Assessment(
            id=demo_id("assessment", key),
            client_id=client.id,
            area_id=area_id,
            counsellor_id=counsellor,
            contact_id=contact.id,
            contacted_at=contacted_at,
            contact_on=contact_on,
            urgent=urgent,
            age_at_contact=age,
            rule=rule,
            deadline=deadline_for(contact_on, rule),
            status="contacted",
            created_at=contacted_at,
            created_by=counsellor,
            updated_at=county.now,
        )
        county.add("assessment", row)
        county.add(
            "client_service",
            ClientService(
                id=demo_id("client_service", f"guidance:{key}:counsellor"),
                client_id=client.id,
                kind="counsellor",
                counsellor_id=counsellor,
                service=None,
                area_id=area_id,
                since=contact_on,
                until=None,
                created_by=counsellor,
            ),
        )
        steps = [(None, "contacted", contact_on)]
        if n > 1 and days_ago > 12:
            lag = 0 if urgent else rng.choice([1, 2, 3, 4, 5, 6, 7, 7, 9])
            row.started_on = min(add_working_days(contact_on, lag), today)
            steps.append(("contacted", "started", row.started_on))
            rai = None
            if ready or days_ago > 35 or rng.random() < 0.5:
                rai = _rai(county, rng, row, key, locked=ready or days_ago > 35 or rng.random() < 0.5)
            if days_ago > 35:
                _decide(county, rng, row, rai, days_ago, steps)
        for k, (before, after, on) in enumerate(steps):
            county.add(
                "assessment_step",
                AssessmentStep(
                    id=demo_id("assessment_step", f"{key}:{k}"),
                    assessment_id=row.id,
                    from_status=before,
                    to_status=after,
                    on=on,
                    at=_at(on, 15) if on < today else county.now,
                    by=counsellor,
                    mutation_id=None,
                    note=None,
                ),
            )
            row.status = after


def _rai(
    county: _County, rng: random.Random, row: Assessment, key: str, locked: bool
) -> RaiAssessment | None:
    assert row.started_on is not None
    assessed = min(row.started_on + timedelta(days=rng.randrange(0, 10)), county.today)
    rai = RaiAssessment(
        id=demo_id("rai", key),
        client_id=row.client_id,
        assessment_id=row.id,
        assessed_on=assessed,
        instrument=_pick(rng, {"RAI-HC": 6, "interRAI-HC": 3, "RAI-LTC": 1}),
        full=True,
        maple=rng.choices([1, 2, 3, 4, 5], [1, 3, 4, 3, 2])[0],
        cps=rng.randrange(0, 6),
        adl_h=rng.randrange(0, 6),
        iadl_ch=rng.randrange(0, 7),
        chess=rng.randrange(0, 5),
        drs=rng.randrange(0, 8),
        scores={},
        assessor_id=row.counsellor_id,
        created_at=_at(assessed, 14),
        locked_at=min(_at(assessed, 16), county.now) if locked else None,
        locked_by=row.counsellor_id if locked else None,
    )
    county.add("rai", rai)
    return rai if locked else None


def _decide(
    county: _County,
    rng: random.Random,
    row: Assessment,
    rai: RaiAssessment | None,
    days_ago: int,
    steps: list[tuple[str | None, str, date]],
) -> None:
    assert row.started_on is not None and rai is not None
    today, code = county.today, county.area_codes[row.area_id]
    decided = min(max(rai.assessed_on, row.started_on) + timedelta(days=rng.randrange(3, 21)), today)
    closing = days_ago > 90 and rng.random() < 0.2
    if closing:
        row.closed_on = decided
        row.close_reason = _pick(rng, CLOSE_REASONS)
        steps.append(("started", "closed", decided))
        return
    granted = rng.random() < 0.8
    row.decision, row.decided_on, row.regular, row.rai_id = (
        "granted" if granted else "refused",
        decided,
        True,
        rai.id,
    )
    steps.append(("started", "decided", decided))
    if not granted:
        row.service_kind = _pick(rng, PLACED_SERVICES)
        return
    if days_ago > 90:
        # Long ago: the service has begun (one the places side does not queue).
        row.service_kind = rng.choice(STARTED_SERVICES)
        row.service_started_on = min(decided + timedelta(days=rng.randrange(3, 30)), today)
        steps.append(("decided", "service_started", row.service_started_on))
        county.add(
            "client_service",
            ClientService(
                id=demo_id("client_service", f"{row.id}:service"),
                client_id=row.client_id,
                kind="service",
                counsellor_id=None,
                service=row.service_kind,
                area_id=row.area_id,
                since=row.service_started_on,
                until=None,
                created_by=row.counsellor_id,
            ),
        )
        return
    # Recently granted: the decision referred the client to the queue (as `assessment.decide` does).
    kinds = {k: w for k, w in PLACED_SERVICES.items() if not (code == "oulu" and k == "short_term_care")}
    row.service_kind = _pick(rng, kinds)
    row.referral_id = referral_id_for(row.id)
    _referral(
        county,
        row.referral_id,
        row.client_id,
        row.service_kind,
        row.area_id,
        "urgent" if row.urgent else "normal",
        _at(decided, 14),
        "counsellor",
        rai.maple,
        rai.cps,
        rai.adl_h,
        [],
        row.counsellor_id,
    )


def _referral(
    county: _County,
    referral_id: uuid.UUID,
    client_id: uuid.UUID,
    service_kind: str,
    area_id: uuid.UUID,
    urgency: str,
    received_at: datetime,
    source: str,
    maple: int | None,
    cps: int | None,
    adl_h: int | None,
    preference: list[str],
    author: uuid.UUID | None,
) -> QueueEntry:
    county.add(
        "referral",
        Referral(
            id=referral_id,
            client_id=client_id,
            service_kind=service_kind,
            area_id=area_id,
            urgency=urgency,
            received_at=received_at,
            source=source,
            maple=maple,
            cps=cps,
            adl_h=adl_h,
            area_preference=preference,
            status="open",
            created_at=received_at,
            created_by=author,
        ),
    )
    entry = QueueEntry(
        id=queue_entry_id(referral_id),
        referral_id=referral_id,
        client_id=client_id,
        service_kind=service_kind,
        area_id=area_id,
        entered_at=date_in_finland(received_at),
        status="waiting",
        updated_at=received_at,
    )
    county.add("queue_entry", entry)
    return entry


def _queue(county: _County, rng: random.Random, code: str, area_id: uuid.UUID) -> None:
    """Referrals straight to the queue (from hospitals, relatives, home care), of several urgencies; in
    Lakeus the first in the 24h-housing queue has an open offer of a place in Palvelukoti Joenkaari.
    Oulu's short-term queue stays empty: its two units have room."""
    people = county.guidance_clients[code]
    wanted = [("housing_24h", 5 if code == "oulu" else 3), ("day_activity", 2)]
    if code != "oulu":
        wanted.append(("short_term_care", 2))
    n = 0
    others = [reference_id("area", c) for c in GUIDANCE if c != code]
    for kind, count in wanted:
        for k in range(count):
            client = people[-1 - n]
            n += 1
            first = code == "lakeus" and kind == "housing_24h" and k == 0
            urgency = "urgent" if first or rng.random() < 0.25 else "normal"
            received = county.now - timedelta(days=rng.randrange(3, 200), hours=rng.randrange(0, 8))
            preference = []
            if rng.random() < 0.3:
                preference = [str(area_id)] if rng.random() < 0.5 else [str(rng.choice(others))]
            entry = _referral(
                county,
                demo_id("referral", f"{code}:{kind}:{k}"),
                client.id,
                kind,
                area_id,
                urgency,
                received,
                _pick(rng, {"hospital": 3, "relative": 3, "home_care": 2, "counsellor": 2, "client": 1}),
                5 if first else (rng.choice([None, 2, 3, 3, 4, 4, 5])),
                rng.randrange(0, 6),
                rng.randrange(0, 6),
                preference,
                rng.choice(county.counsellors[code]),
            )
            if first:
                entry.status = "offered"
                county.add(
                    "offer",
                    Offer(
                        id=demo_id("offer", f"{code}:{kind}:{k}"),
                        queue_entry_id=entry.id,
                        client_id=client.id,
                        unit_id=reference_id("unit", "lakeus-h24-1"),
                        start_date=county.today + timedelta(days=3),
                        end_date=None,
                        expires_at=county.now + timedelta(hours=OFFER_HOURS),
                        status="open",
                        created_at=county.now,
                        created_by=demo_id("user", "kotas"),
                    ),
                )


def _applications(
    county: _County, rng: random.Random, code: str, area_id: uuid.UUID, count: int, first: int = 0
) -> None:
    """Applications over the year with their handlers: most decided, some in process, a few just
    received (no handler yet) or withdrawn; some belong to a PTA process. Those past the area's planned
    count (`GUIDANCE`) arrived yesterday and nobody handles them yet."""
    today = county.today
    people = county.guidance_clients[code]
    assessed = GUIDANCE[code][3]
    for n in range(first, count):
        days_ago = 1 if n >= GUIDANCE[code][4] else rng.randrange(0, 330)
        received = today - timedelta(days=days_ago)
        index = rng.randrange(len(people))
        client = people[index]
        handler = rng.choice(county.counsellors[code])
        row = Application(
            id=demo_id("application", f"{code}:{n}"),
            client_id=client.id,
            area_id=area_id,
            service=_pick(rng, APPLIED_SERVICES),
            received_on=received,
            assessment_id=demo_id("assessment", f"{code}:{index}")
            if index < assessed and rng.random() < 0.5
            else None,
            handler_id=handler,
            status="in_process",
            note=None,
            created_at=_at(received, 10),
            created_by=handler,
            updated_at=county.now,
        )
        roll = rng.random()
        if days_ago < 10 and (roll < 0.5 or n >= GUIDANCE[code][4]):
            row.handler_id, row.status = None, "received"
        elif days_ago > 14 and roll < (0.85 if days_ago > 60 else 0.5):
            row.status = "decided"
            row.decision = _pick(rng, {"granted": 65, "partly_granted": 15, "refused": 20})
            row.decided_on = min(received + timedelta(days=rng.randrange(5, 45)), today)
        elif days_ago > 14 and roll > 0.93:
            row.status, row.withdrawn_on = (
                "withdrawn",
                min(received + timedelta(days=rng.randrange(2, 30)), today),
            )
        county.add("application", row)


def demo_sign_ins() -> str:
    lines = ["Demo sign-ins (password for all: demo):"]
    width = max(len(username) for username, *_ in DEMO_USERS)
    for username, name, role, scope, code in DEMO_USERS:
        where = f" — {scope} {code}" if scope else " — whole region"
        lines.append(f"  {username:<{width}} {role:<12} {name}{where}")
    return "\n".join(lines)
