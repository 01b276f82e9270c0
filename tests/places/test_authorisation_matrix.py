"""Object-level authorisation of issue 4 (places, queue, day activity): role x scope x
record x operation.

Who is who (the demo users, and a few added here):

| principal  | role and scope                                                            |
|------------|---------------------------------------------------------------------------|
| admin      | admin, region                                                             |
| kotas      | coordinator, region                                                       |
| ohjaaja    | counsellor, area Oulu                                                     |
| ohjaaja_k  | counsellor, area Koillismaa                                               |
| paiva      | unit staff of oulu-da-1 (day activity)                                    |
| hoiva      | unit staff of oulu-stc-1 (short-term care)                                |
| h24staff   | unit staff of oulu-h24-1 (24h housing)                                    |
| monta      | unit staff of oulu-da-1 and of oulu-stc-1, on a personal device           |
| tablet_da  | monta signed in on the shared tablet of oulu-da-1: that unit only         |
| kotas_da   | kotas signed in on that tablet: acts there as nothing (wider roles stay off tablets) |
| admin_da   | admin signed in on that tablet: likewise                                  |
| alue       | unit staff of every unit of Koillismaa (an area-wide grant)               |
| device     | the oulu-da-1 tablet's credential alone (no user)                         |
| anonymous  | no token                                                                  |

Every record is in an Oulu unit. Each refused case is asserted with its status and code (REST) or its
rejection code (mutations, always `forbidden`); the allowed ones must succeed. Runs on both backends.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import RoleAssignment, User
from server.accounts.passwords import hash_password, hasher
from server.clock import today_in_finland
from server.demo import DEMO_PASSWORD, demo_id
from server.queue.models import queue_entry_id
from server.reference.models import reference_id
from server.settings import Settings
from server.tasks.service import no_show_task_id
from sync_protocol import policies
from sync_protocol.client import Credentials, MemoryStore, Replica
from tests.api.test_devices import enrol_tablet
from tests.conftest import bearer, sign_in
from tests.day_activity.helpers import DA, da_client
from tests.places.helpers import H24, STC, STC_CLIENTS, day, other_client, replica
from tests.queue.helpers import OULU

KOILLISMAA = reference_id("area", "koillismaa")
H24_1, H24_2 = reference_id("unit", "oulu-h24-1"), reference_id("unit", "oulu-h24-2")
EXTRA_USERS = {
    "ohjaaja_k": [("counsellor", KOILLISMAA, None)],
    "h24staff": [("unit_staff", None, H24_1)],
    "monta": [("unit_staff", None, DA), ("unit_staff", None, STC)],
    "alue": [("unit_staff", KOILLISMAA, None)],
}
SIGNED_IN = [
    "admin",
    "kotas",
    "ohjaaja",
    "ohjaaja_k",
    "paiva",
    "hoiva",
    "h24staff",
    "monta",
    "tablet_da",
    "alue",
]


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


async def tablet_login(client, device: str, username: str) -> dict:
    response = await client.post(
        "/api/auth/login", headers=bearer(device), json={"username": username, "password": "demo"}
    )
    assert response.status_code == 200, response.text
    return response.json()


# --- REST endpoints -------------------------------------------------------------------------------------------

OK = (200, None)
FORBIDDEN = (403, "forbidden")
ON_TABLET = {"kotas_da": "kotas", "admin_da": "admin"}
EVERYONE = {*SIGNED_IN, *ON_TABLET, "device"}


def expect(
    allowed: set[str], *, anonymous=(401, "unauthenticated"), unasserted: set[str] = frozenset()
) -> dict[str, tuple[int, str | None]]:
    return {p: OK if p in allowed else FORBIDDEN for p in EVERYONE - unasserted} | {"anonymous": anonymous}


ENDPOINTS: list[tuple[str, dict[str, Any], dict[str, tuple[int, str | None]]]] = [
    # The board has no client data, but a coordinator's or admin's role never acts through a unit's tablet.
    ("/api/places/board", {}, expect({"admin", "kotas"})),
    # The queue shows clients of the whole region: never on a shared tablet.
    ("/api/queue", {}, expect({"kotas"})),
    ("/api/queue/meeting", {}, expect({"kotas"})),
    (f"/api/day-activity/{DA}/roster", {}, expect({"paiva", "monta", "tablet_da"})),
    (f"/api/day-activity/{STC}/roster", {}, expect({"hoiva", "monta"})),  # not on the DA tablet
    (
        f"/api/day-activity/{DA}/attendance-days",
        {},
        expect({"paiva", "monta", "tablet_da", "admin"}),  # billing: the tablet's own unit
    ),
    (f"/api/day-activity/{H24_1}/attendance-days", {}, expect({"h24staff", "admin"})),
    (f"/api/day-activity/{uuid.uuid4()}/roster", {}, {p: (404, "not_found") for p in SIGNED_IN}),
    # Every user lists the tasks of their own scopes (tests/tasks); a device credential alone has none.
    ("/api/tasks", {}, expect({*SIGNED_IN, *ON_TABLET})),
    # Statistics are suppressed aggregates (server/places/report_controllers.py); not asserted on tablets.
    ("/api/places/statistics/queue", {}, expect({"admin", "kotas"}, unasserted=set(ON_TABLET))),
    (
        "/api/places/statistics/clients",
        {},
        expect(
            {"admin", "kotas", "paiva", "hoiva", "h24staff", "monta", "tablet_da", "alue"},
            unasserted=set(ON_TABLET),
        ),
    ),
    (
        "/api/places/statistics/clients",
        {"unit_id": str(STC)},
        expect({"admin", "kotas", "hoiva", "monta"}, unasserted=set(ON_TABLET)),
    ),
]


async def test_endpoints_matrix(client, db, demo):
    await add_users(db, demo)
    admin = (await sign_in(client, "admin"))["access_token"]
    device = (await enrol_tablet(client, admin, str(DA)))["device_credential"]
    headers = {p: bearer((await sign_in(client, p))["access_token"]) for p in SIGNED_IN if p != "tablet_da"}
    headers["tablet_da"] = bearer((await tablet_login(client, device, "monta"))["access_token"])
    for principal, username in ON_TABLET.items():
        headers[principal] = bearer((await tablet_login(client, device, username))["access_token"])
    headers["device"], headers["anonymous"] = bearer(device), {}

    mismatches = []
    for path, params, expected in ENDPOINTS:
        for principal, (status, code) in sorted(expected.items()):
            response = await client.get(path, params=params, headers=headers[principal])
            got = (response.status_code, response.json().get("code") if response.status_code >= 400 else None)
            if got != (status, code):
                mismatches.append((path, params, principal, (status, code), got))
    assert mismatches == []


# --- mutations ------------------------------------------------------------------------------------------------

Make = Callable[["Setup", int], Awaitable[dict[str, Any]]]


class Setup:
    """Creates, as the coordinator (or the day-activity staff), the records each attempt needs, fresh per
    attempt so that one principal's success never changes what the next one finds."""

    def __init__(self, kotas: Replica, paiva: Replica) -> None:
        self.kotas, self.paiva, self.counter = kotas, paiva, 0

    def next(self) -> int:
        self.counter += 1
        return self.counter

    async def made(self, sync: Replica, name: str, args: dict[str, Any]) -> dict[str, Any]:
        pending = await sync.mutate(name, args)
        await sync.push()
        assert not [o for o in sync.outcomes() if o.id == pending.id], (name, sync.outcomes())
        return args


def new() -> str:
    return str(uuid.uuid4())


async def stay(s: Setup, k: int) -> dict:
    return await s.made(
        s.kotas,
        "stay.book",
        {
            "stay_id": new(),
            "client_id": STC_CLIENTS[0],
            "unit_id": str(STC),
            "start_date": day(k),
            "end_date": day(k),
        },
    )


def series(k: int) -> dict:
    return {
        "series_id": new(),
        "client_id": STC_CLIENTS[1],
        "unit_id": str(STC),
        "first_start": day(k),
        "period_days": 1,
        "every_weeks": 1,
        "periods": 2,
    }


def referral(client_id: str, area=OULU) -> dict:
    return {
        "referral_id": new(),
        "client_id": client_id,
        "service_kind": "short_term_care",
        "area_id": str(area),
        "urgency": "normal",
        "received_at": datetime.now(UTC).isoformat(),
        "source": "counsellor",
    }


async def offer(s: Setup, k: int) -> dict:
    made = await s.made(s.kotas, "referral.create", referral(other_client(k % 30)))
    entry = str(queue_entry_id(made["referral_id"]))
    return {
        "offer_id": new(),
        "queue_entry_id": entry,
        "unit_id": str(STC),
        "start_date": day(k),
        "end_date": day(k),
    }


async def schedule(s: Setup, k: int) -> dict:
    args = {
        "schedule_id": new(),
        "client_id": da_client(k % 30),
        "unit_id": str(DA),
        "weekdays": ["mon", "tue", "wed", "thu", "fri"],
        "valid_from": day(100 + 7 * k),  # a week of its own: the setups never fill the unit
        "valid_until": day(104 + 7 * k),
    }
    return await s.made(s.kotas, "schedule.set", args)


async def no_show_task(s: Setup, k: int) -> str:
    client_id, date = da_client(k % 30), (today_in_finland() - timedelta(days=k)).isoformat()
    await s.made(
        s.paiva,
        "attendance.mark_absent",
        {"client_id": client_id, "unit_id": str(DA), "date": date, "reason": "no_show"},
    )
    return str(no_show_task_id(policies.attendance_id(client_id, str(DA), date)))


def resident(k: int) -> str:
    return str(demo_id("residency", f"oulu-h24-1:{k % 40}"))


async def same(value: dict) -> dict:
    return value


MUTATIONS: dict[str, tuple[set[str], Make]] = {
    "stay.book": (
        {"kotas", "hoiva", "monta"},
        lambda s, k: same(
            {
                "stay_id": new(),
                "client_id": STC_CLIENTS[0],
                "unit_id": str(STC),
                "start_date": day(k),
                "end_date": day(k),
            }
        ),
    ),
    "stay.change_dates": (
        {"kotas", "hoiva", "monta"},
        lambda s, k: _then(
            stay(s, k), lambda a: {"stay_id": a["stay_id"], "start_date": day(k), "end_date": day(k)}
        ),
    ),
    "stay.cancel": (
        {"kotas", "hoiva", "monta"},
        lambda s, k: _then(stay(s, k), lambda a: {"stay_id": a["stay_id"]}),
    ),
    "stay.book_series": ({"kotas", "hoiva", "monta"}, lambda s, k: same(series(k))),
    "stay.cancel_series": (
        {"kotas", "hoiva", "monta"},
        lambda s, k: _then(
            s.made(s.kotas, "stay.book_series", series(k)), lambda a: {"series_id": a["series_id"]}
        ),
    ),
    # Unit staff move in only a client they already serve; a newcomer comes through the queue (a coordinator).
    "residency.move_in": (
        {"kotas"},
        lambda s, k: same(
            {
                "residency_id": new(),
                "client_id": other_client(k % 30),
                "unit_id": str(H24_1),
                "move_in": day(3),
            }
        ),
    ),
    "residency.move_out": (
        {"kotas", "h24staff"},
        lambda s, k: same({"residency_id": resident(k), "move_out": day(30)}),
    ),
    "residency.absence": (
        {"kotas", "h24staff"},
        lambda s, k: same(
            {
                "absence_id": new(),
                "residency_id": resident(k),
                "start_date": day(10),
                "end_date": day(12),
                "reason": "hospital",
            }
        ),
    ),
    "residency.move": (
        {"kotas"},  # h24staff holds the unit moved from, not the one moved to
        lambda s, k: same(
            {
                "residency_id": resident(k),
                "new_residency_id": new(),
                "unit_id": str(H24_2),
                "move_date": day(20),
            }
        ),
    ),
    "capacity.change": (
        {"kotas", "admin"},
        lambda s, k: same(
            {
                "change_id": new(),
                "unit_id": str(H24),
                "start_date": day(k),
                "end_date": day(k),
                "places": 1,
                "reason": "x",
            }
        ),
    ),
    "referral.create": ({"kotas", "ohjaaja"}, lambda s, k: same(referral(other_client(k % 30)))),
    "placement.offer": ({"kotas"}, offer),
    "placement.accept": (
        {"kotas"},
        lambda s, k: _then(_then(offer(s, k), lambda a: s.made(s.kotas, "placement.offer", a)), _offer_id),
    ),
    "placement.decline": (
        {"kotas"},
        lambda s, k: _then(_then(offer(s, k), lambda a: s.made(s.kotas, "placement.offer", a)), _offer_id),
    ),
    "schedule.set": (
        {"kotas", "paiva", "monta", "tablet_da"},
        lambda s, k: same(
            {
                "schedule_id": new(),
                "client_id": da_client(k % 30),
                "unit_id": str(DA),
                "weekdays": ["mon"],
                "valid_from": day(7),
            }
        ),
    ),
    "schedule.end": (
        {"kotas", "paiva", "monta", "tablet_da"},
        lambda s, k: _then(
            schedule(s, k), lambda a: {"schedule_id": a["schedule_id"], "valid_until": a["valid_from"]}
        ),
    ),
    "task.complete": (
        {"paiva", "monta", "tablet_da"},
        lambda s, k: _then(no_show_task(s, k), lambda t: {"task_id": t, "outcome": "Soitettu omaiselle."}),
    ),
    "task.close": (  # the earlier name of task.complete
        {"paiva", "monta", "tablet_da"},
        lambda s, k: _then(no_show_task(s, k), lambda t: {"task_id": t, "outcome": "Soitettu omaiselle."}),
    ),
    "headcount.record": (
        {"paiva", "monta", "tablet_da"},
        lambda s, k: same(
            {"headcount_id": new(), "unit_id": str(DA), "date": today_in_finland().isoformat(), "count": 9}
        ),
    ),
    "attendance.check_in": (
        {"paiva", "monta", "tablet_da"},
        lambda s, k: same(
            {
                "client_id": da_client(k % 30),
                "unit_id": str(DA),
                "date": (today_in_finland() - timedelta(days=40 + k)).isoformat(),
                "at": datetime.now(UTC).isoformat(),
            }
        ),
    ),
}


async def _then(made: Awaitable[Any], then: Callable[[Any], Any]) -> Any:
    value = then(await made)
    return await value if isinstance(value, Awaitable) else value


def _offer_id(args: dict) -> dict:
    return {"offer_id": args["offer_id"]}


async def test_mutations_matrix(client, db, demo):
    await add_users(db, demo)
    admin = (await sign_in(client, "admin"))["access_token"]
    device = (await enrol_tablet(client, admin, str(DA)))["device_credential"]
    replicas = {p: await replica(client, p) for p in SIGNED_IN if p != "tablet_da"}
    tokens = await tablet_login(client, device, "monta")
    replicas["tablet_da"] = Replica(
        MemoryStore(),
        Credentials(
            access_token=tokens["access_token"], refresh_token=tokens["refresh_token"], device_token=device
        ),
        http=client,
    )
    setup = Setup(await replica(client, "kotas"), await replica(client, "paiva"))

    mismatches = []
    for name, (allowed, make) in MUTATIONS.items():
        for principal in SIGNED_IN:
            args = await make(setup, setup.next())
            sync = replicas[principal]
            pending = await sync.mutate(name, args)
            await sync.push()
            held = next((o for o in sync.outcomes() if o.id == pending.id), None)
            got = None if held is None else held.code
            wanted = None if principal in allowed else "forbidden"
            if got != wanted:
                mismatches.append((name, principal, wanted, got, held.message if held else None))
    assert mismatches == []
