"""`outbox.add`: the row commits with its cause, one waiting row per job and key, bad requests refused."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from sqlalchemy import func, select

from server.db import begin_write
from server.jobs import outbox, registry
from server.jobs.models import OutboxRow
from tests.jobs.sample_jobs import Note


async def _rows(db) -> list[OutboxRow]:
    db.expire_all()
    rows = list((await db.scalars(select(OutboxRow).order_by(OutboxRow.id))).all())
    await db.commit()  # end the read: the next begin_write starts a write transaction of its own
    return rows


async def test_a_row_commits_and_rolls_back_with_its_cause(db):
    await begin_write(db)
    await outbox.add(db, "test.note", "a", Note("first"))
    await db.rollback()
    assert await _rows(db) == []

    await begin_write(db)
    await outbox.add(db, "test.note", "a", Note("first"))
    await db.commit()
    [row] = await _rows(db)
    assert (row.job, row.key, row.args, row.status, row.attempts) == (
        "test.note",
        "a",
        {"text": "first", "times": 1},
        "pending",
        0,
    )


async def test_the_same_key_waiting_is_one_row_with_the_latest_arguments(db):
    later = datetime.now(UTC) + timedelta(hours=1)
    for text, run_at in (("first", None), ("second", later)):
        await begin_write(db)
        await outbox.add(db, "test.note", "a", Note(text), run_at=run_at)
        await db.commit()
    await begin_write(db)
    await outbox.add(db, "test.note", "b", Note("other key"))
    await outbox.add(db, "test.note_no_retry", "a", Note("other job"))
    await db.commit()
    rows = await _rows(db)
    assert [(r.job, r.key, r.args["text"]) for r in rows] == [
        ("test.note", "a", "second"),
        ("test.note", "b", "other key"),
        ("test.note_no_retry", "a", "other job"),
    ]
    assert abs(rows[0].run_at - later) < timedelta(seconds=1)


async def test_a_key_added_while_its_run_is_under_way_gets_a_new_row(db):
    await begin_write(db)
    await outbox.add(db, "test.note", "a", Note("first"))
    await db.commit()
    [row] = await _rows(db)
    assert await outbox.claim(db, row.id, 0, datetime.now(UTC)) is not None
    await begin_write(db)
    await outbox.add(db, "test.note", "a", Note("during the run"))
    await db.commit()
    assert [(r.attempts, r.args["text"]) for r in await _rows(db)] == [(1, "first"), (0, "during the run")]


@pytest.mark.parametrize("backend", ["sqlite"])  # checked before any SQL: one engine is enough
@pytest.mark.parametrize(
    ("job", "key", "args", "message"),
    [
        ("test.nope", "a", None, "No job is registered as 'test.nope'"),
        ("test.note", "a", None, "takes Note arguments, got NoneType"),
        ("test.note", "a", registry.Cron(), "takes Note arguments, got Cron"),
        ("test.note", "a", Note(text=5), "Bad arguments for job 'test.note': Expected `str`, got `int`"),
        ("test.note", "a", Note("x", times=0), "Expected `int` >= 1 - at `$.times`"),
        ("test.note", "", Note("x"), "the key must be 1-200 characters"),
        ("test.note", "k" * 201, Note("x"), "the key must be 1-200 characters"),
        ("jobs.prune_outbox", "a", Note("x"), "takes no arguments, got Note"),
    ],
)
async def test_bad_requests_are_refused_with_a_clear_error_and_write_nothing(db, job, key, args, message):
    await begin_write(db)
    with pytest.raises(registry.InvalidJob, match=re.escape(message)):
        await outbox.add(db, job, key, args)
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(OutboxRow)) == 0


async def test_the_longest_key_is_accepted(db):
    await begin_write(db)
    await outbox.add(db, "test.note", "k" * 200, Note("x"))
    await db.commit()
    assert [r.key for r in await _rows(db)] == ["k" * 200]


@pytest.mark.parametrize("backend", ["sqlite"])  # checked before any SQL: one engine is enough
async def test_a_naive_run_at_is_refused(db):
    with pytest.raises(registry.InvalidJob, match="run_at must be timezone-aware"):
        await outbox.add(db, "test.note", "a", Note("x"), run_at=datetime(2026, 1, 1))


def test_args_round_trip_through_json():
    spec = registry.get("test.note")
    assert spec.decode_args(msgspec.json.decode(msgspec.json.encode(spec.encode_args(Note("é", 2))))) == Note(
        "é", 2
    )
