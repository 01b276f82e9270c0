"""The authorisation matrix, generated from the mutations' declarations (`server.sync.authorisation`).

Every mutation that names a client in its arguments (`Client(args.client_id)` in its `touches`) is pushed
by the staff who do that work, against a client of each relationship to them:

- `own`: a client they already have a basis on (their unit's client, a client living in their area, a
  client in the queue for a coordinator) — allowed (the mutation may still fail for its own reasons);
- `new`: a client created earlier in the same push — allowed;
- `other`: another unit's client, or a client living in another area — forbidden;
- `none`: a client nobody near them has a relationship with — forbidden: no mutation adopts a client;
- `unknown`: an id that is no client — forbidden, with the very same answer as `other` and `none`.

REST reads follow the same basis: `GET /api/clients/{id}` answers 200 for `own` and `new`, and the same
403 for the rest. A mutation that names a client and has no row here fails the suite.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from server.clients.models import Client
from server.clock import today_in_finland
from server.demo import DEMO_DAY_UNIT, DEMO_SHORT_TERM_UNIT, demo_id
from server.identity_code import make as make_code
from server.queue.models import ACTIVE_ENTRY_STATUSES, QueueEntry
from server.reference.models import reference_id
from server.sync import authorisation
from server.sync.mutations import catalog
from tests.sync.test_protocol import PUSH, push_body, staff

DA, STC = reference_id("unit", DEMO_DAY_UNIT), reference_id("unit", DEMO_SHORT_TERM_UNIT)
OULU, KOILLISMAA = reference_id("area", "oulu"), reference_id("area", "koillismaa")
OULU_CITY, KUUSAMO = reference_id("municipality", "564"), reference_id("municipality", "305")
RELATIONS = ("own", "new", "other", "none", "unknown")
ALLOWED = {"own", "new"}


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _today(days: int = 0) -> str:
    return (today_in_finland() + timedelta(days=days)).isoformat()


def _id() -> str:
    return str(uuid.uuid4())


def contact(client_id: str | None) -> dict[str, Any]:
    return {
        "contact_id": _id(),
        "occurred_at": _now(),
        "channel": "phone",
        "caller_type": "relative",
        "contact_type": "to_service",
        "topics": ["home_care"],
        "resolution": "advice_given",
        "area_id": str(OULU),
        "client_id": client_id,
    }


# mutation → (author, args for a client, mutations the push needs first)
Args = Any
EXAMPLES: dict[str, tuple[str, Any]] = {
    "attendance.check_in": (
        "paiva",
        lambda c: {"client_id": c, "unit_id": str(DA), "date": _today(), "at": _now()},
    ),
    "attendance.check_out": (
        "paiva",
        lambda c: {"client_id": c, "unit_id": str(DA), "date": _today(), "at": _now()},
    ),
    "attendance.mark_absent": (
        "paiva",
        lambda c: {"client_id": c, "unit_id": str(DA), "date": _today(), "reason": "ill"},
    ),
    "schedule.set": (
        "paiva",
        lambda c: {
            "schedule_id": _id(),
            "client_id": c,
            "unit_id": str(DA),
            "weekdays": ["mon"],
            "valid_from": _today(300),
        },
    ),
    "stay.book": (
        "hoiva",
        lambda c: {
            "stay_id": _id(),
            "client_id": c,
            "unit_id": str(STC),
            "start_date": _today(200),
            "end_date": _today(201),
        },
    ),
    "stay.book_series": (
        "hoiva",
        lambda c: {
            "series_id": _id(),
            "client_id": c,
            "unit_id": str(STC),
            "first_start": _today(210),
            "period_days": 2,
            "every_weeks": 4,
            "periods": 1,
        },
    ),
    "residency.move_in": (
        "hoiva",
        lambda c: {"residency_id": _id(), "client_id": c, "unit_id": str(STC), "move_in": _today(220)},
    ),
    "client.update": ("paiva", lambda c: {"client_id": c, "changes": {"phone": "+358401234567"}}),
    "client.set_identity_code": (
        "ohjaaja",
        lambda c: {"client_id": c, "identity_code": make_code(date(1950, 1, 1), 900)},
    ),
    "client.merge": ("ohjaaja", "merge"),
    "client.add_close_person": (
        "paiva",
        lambda c: {"close_person_id": _id(), "client_id": c, "name": "Liisa Esimerkki", "relation": "child"},
    ),
    "consent.give": (
        "ohjaaja",
        lambda c: {
            "consent_id": _id(),
            "client_id": c,
            "purpose": "cross_service_summary",
            "given_on": _today(),
        },
    ),
    "client.add_service": (
        "ohjaaja",
        lambda c: {
            "service_id": _id(),
            "client_id": c,
            "kind": "service",
            "service": "home_care",
            "since": _today(),
        },
    ),
    "contact.record": ("ohjaaja", contact),
    "contact.link_client": ("ohjaaja", "link"),
    "event.add_participant": ("ohjaaja", "event"),
    "event.remove_participant": ("ohjaaja", "event"),
    "referral.create": (
        "ohjaaja",
        lambda c: {
            "referral_id": _id(),
            "client_id": c,
            "service_kind": "short_term_care",
            "area_id": str(OULU),
            "urgency": "normal",
            "received_at": _now(),
            "source": "counsellor",
        },
    ),
    "assessment.open": (
        "ohjaaja",
        lambda c: {"assessment_id": _id(), "client_id": c, "contacted_at": _now()},
    ),
    "application.receive": (
        "ohjaaja",
        lambda c: {
            "application_id": _id(),
            "client_id": c,
            "service": "transport_service",
            "received_on": _today(),
        },
    ),
    "rai.record": (
        "ohjaaja",
        lambda c: {
            "rai_id": _id(),
            "client_id": c,
            "assessed_on": _today(),
            "instrument": "RAI-HC",
            "full": False,
        },
    ),
}
# Named a client but with a rule of their own: creating one (tested as `new` above), and reporting views,
# which are logged whatever the basis.
NOT_IN_MATRIX = {"client.create", "audit.viewed"}


class _Probe:
    """Arguments whose every field is a fresh id: what `touches` makes of `client_id` shows the declaration."""

    def __init__(self) -> None:
        self.client_id = uuid.uuid4()

    def __getattr__(self, name: str) -> uuid.UUID:
        return uuid.uuid4()


def declared_client_mutations() -> set[str]:
    found = set()
    for spec in catalog:
        probe = _Probe()
        touches = spec.handler.touches(probe)
        if any(isinstance(t, authorisation.Client) and t.id == probe.client_id for t in touches):
            found.add(spec.name)
    return found


def test_every_mutation_that_names_a_client_is_in_the_matrix():
    assert declared_client_mutations() - NOT_IN_MATRIX == set(EXAMPLES)


def test_every_mutation_declares_what_it_touches():
    for spec in catalog:
        assert callable(getattr(spec.handler, "touches", None)), spec.name
        list(spec.handler.touches(SimpleNamespace(**dict.fromkeys(spec.args.__struct_fields__))))


async def _client(db, municipality: uuid.UUID) -> str:
    row = Client(id=uuid.uuid4(), first_name="Testi", last_name="Henkilö", municipality_id=municipality)
    db.add(row)
    await db.commit()
    return str(row.id)


def create(author: str, client_id: str) -> dict[str, Any]:
    args: dict[str, Any] = {
        "client_id": client_id,
        "first_name": "Uusi",
        "last_name": "Asiakas",
        "municipality_id": str(OULU_CITY),
    }
    if author in ("paiva", "hoiva"):
        args["unit_id"] = str(DA if author == "paiva" else STC)
    return args


async def clients_for(db, author: str) -> dict[str, str]:
    """A client of each relationship to `author`."""
    nobody = await _client(db, KUUSAMO)  # lives in Koillismaa, served nowhere, in no queue
    if author == "paiva":
        own, other = (
            str(demo_id("client", f"{DEMO_DAY_UNIT}:0")),
            str(demo_id("client", f"{DEMO_SHORT_TERM_UNIT}:0")),
        )
    elif author == "hoiva":
        own, other = (
            str(demo_id("client", f"{DEMO_SHORT_TERM_UNIT}:0")),
            str(demo_id("client", f"{DEMO_DAY_UNIT}:0")),
        )
    elif author == "kotas":
        queued = await db.scalar(
            select(QueueEntry.client_id).where(QueueEntry.status.in_(ACTIVE_ENTRY_STATUSES)).limit(1)
        )
        own, other = str(queued), nobody
    else:  # a counsellor of Oulu
        own, other = await _client(db, OULU_CITY), await _client(db, KUUSAMO)
    return {"own": own, "other": other, "none": nobody, "unknown": _id()}


def _envelope(seq: int, name: str, args: dict[str, Any]) -> dict[str, Any]:
    return {"id": _id(), "seq": seq, "name": name, "version": 1, "args": args}


def batch_for(name: str, author: str, client_id: str, relation: str) -> list[dict[str, Any]]:
    """The push: the client's creation first when it is new, any row the mutation needs, then it."""
    _, make = EXAMPLES[name]
    first: list[tuple[str, dict[str, Any]]] = []
    if relation == "new":
        first.append(("client.create", create(author, client_id)))
    if make == "link":
        anonymous = contact(None)
        first.append(("contact.record", anonymous))
        args = {"contact_id": anonymous["contact_id"], "client_id": client_id}
    elif make == "merge":  # into the client, another the counsellor just created
        other = _id()
        first.append(("client.create", create(author, other)))
        args = {"client_id": client_id, "merged_client_id": other}
    elif make == "event":
        event_id = _id()
        first.append(
            (
                "event.record",
                {
                    "event_id": event_id,
                    "kind": "info_session",
                    "title": "Tiedotustilaisuus",
                    "held_on": _today(),
                    "area_id": str(OULU),
                    "participant_count": 10,
                },
            )
        )
        args = {"event_id": event_id, "client_id": client_id}
    else:
        args = make(client_id)
    return [_envelope(n, m, a) for n, (m, a) in enumerate([*first, (name, args)], start=1)]


async def test_a_mutation_touches_only_clients_its_author_has_a_basis_on(client, db):
    # One app for the whole matrix (a database per cell would cost minutes); every cell is checked and
    # every wrong one named.
    wrong = []
    for name in sorted(EXAMPLES):
        author = EXAMPLES[name][0]
        targets = await clients_for(db, author)
        answers: dict[str, tuple[str | None, str | None]] = {}
        for relation in RELATIONS:
            client_id = targets.get(relation) or _id()
            headers, replica = await staff(client, author)
            body = push_body(replica, batch_for(name, author, client_id, relation))
            response = await client.post(PUSH, headers=headers, json=body)
            assert response.status_code == 200, response.text
            outcome = response.json()["results"][-1]
            answers[relation] = (outcome.get("code"), outcome.get("message"))
            if (outcome.get("code") == "forbidden") != (relation not in ALLOWED):
                wrong.append((name, author, relation, outcome))
        # An unknown id and a client without a basis are told apart by nothing.
        if not answers["unknown"] == answers["none"] == answers["other"]:
            wrong.append((name, author, "answers differ", answers))
    assert wrong == []


@pytest.mark.parametrize("author", ["paiva", "hoiva", "ohjaaja", "kotas"])
async def test_rest_reads_follow_the_same_basis(client, db, author):
    targets = await clients_for(db, author)
    headers, replica = await staff(client, author)
    new = _id()
    if author != "kotas":  # coordinators create no clients: they come through a referral
        created = await client.post(
            PUSH,
            headers=headers,
            json=push_body(replica, [_envelope(1, "client.create", create(author, new))]),
        )
        assert created.json()["results"][0]["status"] == "applied", created.text
        targets["new"] = new
    answers = {}
    for relation, client_id in targets.items():
        read = await client.get(f"/api/clients/{client_id}", headers=headers)
        answers[relation] = (
            read.status_code,
            read.json().get("message") if read.status_code != 200 else None,
        )
    allowed = {"own", "new"} if author != "kotas" else set()  # coordinators see places, not client records
    assert {r for r, (status, _) in answers.items() if status == 200} == allowed & set(answers)
    refused = {answers[r] for r in answers if r not in allowed}
    assert len(refused) == 1 and next(iter(refused))[0] == 403, answers


def test_a_handler_cannot_publish_a_client_it_did_not_declare():
    from server.sync.changes import ChangeSet
    from server.sync.push import _guard

    declared, other = uuid.uuid4(), uuid.uuid4()
    changes = ChangeSet()
    changes.client_guard = _guard(SimpleNamespace(declared={declared}), "x.touch")
    changes.put("client", declared, {"id": str(declared)}, ["unit:x"])
    with pytest.raises(authorisation.UndeclaredClient, match=r"x\.touch publishes client"):
        changes.put("client", other, {"id": str(other)}, ["unit:x"])
    changes.put("attendance", uuid.uuid4(), {}, ["unit:x"])  # other records are the handler's own


async def test_a_client_created_earlier_in_the_push_is_found_by_a_preloaded_mutation(client, db):
    # contact.record reads its client before the batch runs (`loads=`); the client.create before it in the
    # same push must still be seen (the app sends a contact with a new client that way, offline).
    headers, replica = await staff(client, "ohjaaja")
    new = _id()
    batch = [
        _envelope(1, "client.create", create("ohjaaja", new)),
        _envelope(2, "contact.record", contact(new)),
    ]
    results = (await client.post(PUSH, headers=headers, json=push_body(replica, batch))).json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied"], results
