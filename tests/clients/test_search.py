"""Finding a client on the server (`GET /api/clients/search`): only clients the caller has a basis to see,
each one named in the answer logged with that basis; LIKE's wildcards are plain characters."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from server.access_log.models import AccessLogEntry
from tests.assessments.helpers import add_users, new_client
from tests.conftest import bearer, sign_in
from tests.sync.domain_helpers import OULU, fresh, replica


async def _search(client, username: str, q: str) -> list[dict]:
    session = await sign_in(client, username)
    response = await client.get(
        "/api/clients/search", params={"q": q}, headers=bearer(session["access_token"])
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_search_answers_only_clients_with_a_basis_and_logs_them(client, db, demo):
    await add_users(db, demo)
    laptop = await replica(client, "ohjaaja")
    client_id = await new_client(laptop, first_name="Ilmatar", last_name="Väinölä")

    [hit] = await _search(client, "ohjaaja", "ilmatar VÄINÖ")
    assert (hit["id"], hit["birth_year"], hit["basis"]) == (client_id, 1941, f"guidance:area:{OULU}")
    assert await _search(client, "esihenkilo_oulu", "Ilmatar") != []  # the area's supervisor
    for nobody in ("ohjaaja_k", "kotas", "admin", "paiva"):  # another area, places, admin, a unit
        assert await _search(client, nobody, "Ilmatar") == [], nobody
    assert await _search(client, "ohjaaja", "%%") == []
    assert await _search(client, "ohjaaja", "Ilmatar_") == []

    db = await fresh(db)
    logged = (
        await db.execute(
            select(AccessLogEntry.username, AccessLogEntry.role, AccessLogEntry.basis).where(
                AccessLogEntry.record_type == "client_search",
                AccessLogEntry.client_id == uuid.UUID(client_id),
            )
        )
    ).all()
    assert sorted(logged) == [
        ("esihenkilo_oulu", "supervisor", f"guidance:area:{OULU}"),
        ("ohjaaja", "counsellor", f"guidance:area:{OULU}"),
    ]
    await db.rollback()
