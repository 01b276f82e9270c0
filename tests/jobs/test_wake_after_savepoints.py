"""Dispatchers are woken by the commit that adds outbox rows, not by a savepoint inside it.

Every mutation of a push runs in a savepoint, and SQLAlchemy reports a released (or rolled back)
savepoint as a commit (or rollback): a wake-up then found nothing due and the real commit woke nobody,
so the work waited for the next sweep (up to a second: half the notification latency budget).
"""

from __future__ import annotations

from server.db import begin_write
from server.jobs import outbox
from tests.jobs.sample_jobs import Note


async def test_wake_once_at_the_outer_commit_whatever_the_savepoints_did(db):
    woken: list[str] = []
    unsubscribe = outbox.on_commit(lambda: woken.append("wake"))
    try:
        await begin_write(db)
        async with db.begin_nested():
            await outbox.add(db, "test.note", "a", Note("kept"))
        assert woken == [], "a released savepoint is not a commit"
        try:
            async with db.begin_nested():
                await outbox.add(db, "test.note", "b", Note("rejected"))
                raise RuntimeError("the mutation is rejected")
        except RuntimeError:
            pass
        assert woken == []
        await db.commit()
        assert woken == ["wake"], "the commit wakes, even after a rejected savepoint"
    finally:
        unsubscribe()
