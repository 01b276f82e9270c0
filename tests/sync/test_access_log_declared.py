"""The access log follows from the declarations (asiakastietolaki 703/2023 §11: every processing of client
data is logged): every mutation that touches a client leaves an entry for it with the author's basis, a
refused one leaves `write_refused`, a pull that sends client records leaves one entry per client, and a
refused read leaves `read_refused`."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from server.access_log.models import AccessLogEntry
from tests.sync.test_authorisation_matrix import EXAMPLES, batch_for, clients_for
from tests.sync.test_protocol import PUSH, pull_all, push_body, staff


async def entries_after(db, last_id: int) -> list[AccessLogEntry]:
    await db.rollback()
    rows = await db.execute(
        select(AccessLogEntry).where(AccessLogEntry.id > last_id).order_by(AccessLogEntry.id)
    )
    return list(rows.scalars())


async def last_entry(db) -> int:
    await db.rollback()
    return (await db.scalar(select(func.max(AccessLogEntry.id)))) or 0


async def test_each_mutation_that_touches_a_client_logs_it_with_the_basis(client, db):
    wrong, applied = [], 0
    for name in sorted(EXAMPLES):
        author = EXAMPLES[name][0]
        own = (await clients_for(db, author))["own"]
        headers, replica = await staff(client, author)
        before = await last_entry(db)
        batch = push_body(replica, batch_for(name, author, own, "own"))
        outcome = (await client.post(PUSH, headers=headers, json=batch)).json()["results"][-1]
        logged = [e for e in await entries_after(db, before) if e.client_id == uuid.UUID(own)]
        if outcome["status"] == "rejected":
            if logged:  # nothing was processed: nothing to log
                wrong.append((name, "logged a rejected mutation", outcome))
            continue
        applied += 1
        if not logged:
            wrong.append((name, "no entry for its client"))
        elif not all(e.basis not in ("none", "") and e.username == author for e in logged):
            wrong.append((name, [(e.operation, e.basis, e.username) for e in logged]))
    assert wrong == [] and applied >= len(EXAMPLES) - 2, (wrong, applied)


async def test_a_refused_mutation_is_logged_as_refused(client, db):
    targets = await clients_for(db, "paiva")
    headers, replica = await staff(client, "paiva")
    before = await last_entry(db)
    body = push_body(replica, batch_for("schedule.set", "paiva", targets["other"], "other"))
    assert (await client.post(PUSH, headers=headers, json=body)).json()["results"][0]["code"] == "forbidden"
    refused = [(e.client_id, e.operation, e.basis) for e in await entries_after(db, before)]
    assert refused == [(uuid.UUID(targets["other"]), "write_refused", "none")]


async def test_a_pull_logs_every_client_record_it_sends(client, db):
    headers, replica = await staff(client, "paiva")
    before = await last_entry(db)
    pages, _ = await pull_all(client, headers, replica)
    sent = {op["id"] for page in pages for op in page["ops"] if op["op"] == "put" and op["type"] == "client"}
    assert sent
    downloads = [e for e in await entries_after(db, before) if e.operation == "sync_download"]
    assert sorted(str(e.client_id) for e in downloads) == sorted(sent), "one entry per client per pull"
    assert all(e.basis.startswith("scope:unit:") and e.username == "paiva" for e in downloads)


async def test_a_refused_read_is_logged_and_answers_like_an_unknown_id(client, db):
    targets = await clients_for(db, "paiva")
    headers, _ = await staff(client, "paiva")
    before = await last_entry(db)
    refused = await client.get(f"/api/clients/{targets['other']}", headers=headers)
    unknown = await client.get(f"/api/clients/{targets['unknown']}", headers=headers)
    assert refused.status_code == unknown.status_code == 403
    assert refused.json() == unknown.json()
    logged = [(str(e.client_id), e.operation) for e in await entries_after(db, before)]
    assert logged == [(targets["other"], "read_refused"), (targets["unknown"], "read_refused")]
