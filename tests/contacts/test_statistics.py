"""The guidance statistics equal counts made straight from the raw rows, suppression included; linking a
contact to a client changes no figure; CSV shows hidden figures as `..`."""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from datetime import date

from sqlalchemy import select

from server.contacts import statistics
from server.contacts.models import Contact
from tests.conftest import bearer, sign_in
from tests.contacts.helpers import OULU, generate, raw_contact_counts, raw_event_counts, row_group
from tests.sync.domain_helpers import DAY_CLIENT, DAY_CLIENT_2, STC_CLIENT, fresh, push_one, replica

NOV, DEC = date(2026, 11, 1), date(2026, 12, 1)


async def test_contact_figures_equal_raw_counts_and_small_ones_are_hidden(client, db):
    await generate(db, seed=5, contacts=900, events=0)
    raw = await raw_contact_counts(db)
    rows = await statistics.contacts_report(db, NOV, DEC)
    assert {r.month for r in rows} == {"2026-11", "2026-12"}
    hidden_in: dict = defaultdict(int)
    seen = 0
    for r in rows:
        expected = raw.get((r.month, row_group(r), r.dimension, r.code), 0)
        if r.contacts is None:
            assert r.suppressed == ["contacts"]
            hidden_in[(r.month, r.dimension, r.code, r.level, r.area_id)] += 1
        else:
            assert r.contacts == expected and r.suppressed == [], r
            assert not 0 < expected < 5
            seen += expected > 0
        if 0 < expected < 5:
            assert r.contacts is None, r
    assert seen > 200
    # Secondary suppression: the counsellors and service points of an area never hide one cell alone.
    for (month, dimension, code, level, area), count in list(hidden_in.items()):
        if level in ("counsellor", "service_point") and count == 1:
            assert (month, dimension, code, "area", area) in hidden_in, (month, dimension, code, level)
    # The whole region's count is published and right.
    region = {(r.month, r.dimension): r.contacts for r in rows if r.level == "region" and r.code is None}
    for month in ("2026-11", "2026-12"):
        assert region[(month, "total")] == raw[(month, ("region",), "total", None)]


async def test_first_contact_and_event_figures_equal_raw_counts(client, db):
    await generate(db, seed=7, contacts=700, events=60)
    raw = await raw_contact_counts(db)
    rows = await statistics.first_contact_report(db, NOV, DEC)
    for r in rows:
        first = raw.get((r.month, row_group(r), "first", None), 0)
        resolved = raw.get((r.month, row_group(r), "resolved", None), 0)
        assert r.first_contacts in (first, None) and r.resolved in (resolved, None)
        if 0 < first < 5:
            assert r.first_contacts is None
        if 0 < resolved < 5:
            assert r.resolved is None
        if r.first_contacts is None or r.resolved is None:
            assert r.resolved_percent is None and "resolved_percent" in r.suppressed
        elif first:
            assert r.resolved_percent == round(100 * resolved / first, 1)
    region = [r for r in rows if r.level == "region"]
    assert all(r.resolved_percent is not None for r in region)

    events, people = await raw_event_counts(db)
    rows = await statistics.events_report(db, NOV, DEC)
    for r in rows:
        key = (r.month, row_group(r), r.kind)
        assert r.events == events.get(key, 0)
        expected = people.get(key, 0)
        if r.participants is None:
            assert r.suppressed == ["participants"]
        else:
            assert r.participants == expected and not 0 < expected < 5
    # The 60 generated events, and the demo county's events of those months.
    region = sum(
        n
        for (month, group, kind), n in events.items()
        if month in ("2026-11", "2026-12") and group == ("region",) and kind is None
    )
    assert sum(r.events for r in rows if r.level == "region" and r.kind is None) == region >= 60


async def test_linking_contacts_to_clients_changes_no_statistic(client, db):
    await generate(db, seed=11, contacts=400, events=10)
    laptop = await replica(client, "ohjaaja")
    # Contacts the Oulu counsellor records anonymously through the push path, then links later.
    ids = []
    for n, day in enumerate([3, 9, 17, 24, 28]):
        args = {
            "contact_id": f"00000000-0000-4000-8000-{n:012d}",
            "occurred_at": f"2026-11-{day:02d}T10:00:00+02:00",
            "channel": "phone",
            "caller_type": "relative",
            "contact_type": "to_service",
            "topics": ["home_care"],
            "resolution": "advice_given",
            "area_id": str(OULU),
        }
        assert await push_one(laptop, "contact.record", args) is None
        ids.append(args["contact_id"])
    db = await fresh(db)

    async def figures():
        return (
            await statistics.contacts_report(db, NOV, DEC),
            await statistics.first_contact_report(db, NOV, DEC),
            await statistics.events_report(db, NOV, DEC),
        )

    before = await figures()
    for contact_id, client_id in zip(ids, [DAY_CLIENT, DAY_CLIENT_2, STC_CLIENT, DAY_CLIENT, DAY_CLIENT_2]):
        outcome = await push_one(
            laptop, "contact.link_client", {"contact_id": contact_id, "client_id": client_id}
        )
        assert outcome is None
    # Also generated contacts of other counsellors of Oulu, linked by ohjaaja.
    db = await fresh(db)
    others = (
        await db.execute(
            select(Contact.id).where(Contact.area_id == OULU, Contact.client_id.is_(None)).limit(15)
        )
    ).scalars()
    others = list(others)
    for contact_id in others:
        assert (
            await push_one(
                laptop, "contact.link_client", {"contact_id": str(contact_id), "client_id": DAY_CLIENT}
            )
            is None
        )
    db = await fresh(db)
    ours = [uuid.UUID(i) for i in ids] + others
    linked = (
        (await db.execute(select(Contact).where(Contact.id.in_(ours), Contact.client_id.is_not(None))))
        .scalars()
        .all()
    )
    assert len(linked) == 20
    assert await figures() == before


async def test_csv_export_shows_hidden_figures_as_dots(client, db):
    await generate(db, seed=3, contacts=300, events=20)
    token = (await sign_in(client, "admin"))["access_token"]
    response = await client.get(
        "/api/guidance/statistics/contacts",
        params={"from": "2026-11", "to": "2026-12", "format": "csv"},
        headers=bearer(token),
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(response.text)))
    assert lines and {"month", "level", "dimension", "code", "contacts"} <= set(lines[0])
    hidden = [line for line in lines if line["contacts"] == ".."]
    assert hidden and all(
        line["contacts"] == ".." or int(line["contacts"]) == 0 or int(line["contacts"]) >= 5 for line in lines
    )
    json_rows = (
        await client.get(
            "/api/guidance/statistics/contacts",
            params={"from": "2026-11", "to": "2026-12", "level": "area", "dimension": "channel"},
            headers=bearer(token),
        )
    ).json()["rows"]
    assert json_rows and {r["level"] for r in json_rows} == {"area"}
    for path in ("first-contact", "events"):
        response = await client.get(
            f"/api/guidance/statistics/{path}",
            params={"from": "2026-11", "to": "2026-12"},
            headers={**bearer(token), "Accept": "text/csv"},
        )
        assert response.status_code == 200 and response.text.startswith("month,level"), response.text[:200]
    bad = await client.get(
        "/api/guidance/statistics/contacts", params={"from": "2026-13"}, headers=bearer(token)
    )
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_args"
