"""The client search's name match: on PostgreSQL the pg_trgm index serves it (migration 0013), and the
ILIKE form answers exactly what the earlier `lower(name) LIKE '%word%'` did, on both engines."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, text

from server.clients.controllers import SEARCH_CANDIDATES, _words, search_query
from server.clients.models import SEARCH_NAME_INDEX, Client
from tests.sync.domain_helpers import OULU_CITY

NAMES = [
    ("Ilmatar", "Väinölä"),
    ("Äimä", "Öljynen"),
    ("Anna_Liisa", "Ko%rhonen"),
    ("Anna", "Liisanen"),
    ("Back\\slash", "Aho"),
]
QUERIES = ["ilmatar VÄINÖ", "väinö", "öljy", "ÖLJY", "anna_", "ko%r", "%%", "anna liisa", "k\\s", "ah", "zz"]


def previous_query(words: list[str]):
    """The search's match before the index: `lower(first_name || ' ' || last_name) LIKE '%word%'`."""
    name = func.lower(Client.first_name + " " + Client.last_name)
    query = select(Client).order_by(Client.last_name, Client.first_name, Client.id).limit(SEARCH_CANDIDATES)
    for word in words:
        query = query.where(name.like(f"%{word}%", escape="\\"))
    return query


async def test_search_answers_what_it_did_before(demo, db):
    db.add_all(
        Client(id=uuid.uuid4(), first_name=first, last_name=last, municipality_id=uuid.UUID(OULU_CITY))
        for first, last in NAMES
    )
    await db.commit()

    async def names(query) -> list[str]:
        return [f"{c.first_name} {c.last_name}" for c in (await db.scalars(query)).all()]

    for q in QUERIES:
        words = _words(q)
        assert await names(search_query(words)) == await names(previous_query(words)), q
    assert await names(search_query(_words("ilmatar VÄINÖ"))) == ["Ilmatar Väinölä"]
    assert await names(search_query(_words("anna_"))) == ["Anna_Liisa Ko%rhonen"]  # `_` is no wildcard
    assert await names(search_query(_words("ko%r"))) == ["Anna_Liisa Ko%rhonen"]
    assert await names(search_query(_words("k\\s"))) == ["Back\\slash Aho"]
    assert "Anna Liisanen" in await names(search_query(_words("anna liisa")))  # words in any place
    assert len(await names(search_query(_words("a")))) == SEARCH_CANDIDATES  # the demo has more


async def test_postgres_search_uses_the_trigram_index(demo, db, backend):
    if backend != "postgres":
        # SQLite has no such index (migration 0013 does nothing there): nothing to plan.
        assert (
            await db.scalar(text(f"SELECT count(*) FROM sqlite_master WHERE name = '{SEARCH_NAME_INDEX}'"))
        ) == 0
        return
    await db.execute(text("SET enable_seqscan = off"))
    for q in ("väinö", "ilmatar väinö", "ko%r"):
        sql = search_query(_words(q)).compile(db.bind, compile_kwargs={"literal_binds": True})
        plan = "\n".join((await db.scalars(text(f"EXPLAIN {sql}"))).all())
        assert SEARCH_NAME_INDEX in plan, plan
