"""The SQLite writer lock (server/db.py, `begin_write`) is given back however a write transaction ends.

A session closed in the middle of a write (a request cancelled by its client, a job cancelled at a stop, an
error leaving `async with`) ends its transaction without a commit or rollback hook; the lock must still be
released, or every later writer of the process waits for ever. A savepoint's end must not release it.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

from server.db import _writer_locks, begin_write, create_engine

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])


@pytest.fixture
async def sessions(settings):
    engine = create_engine(settings)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


async def write_within(sessions, seconds: float = 10) -> None:
    async def write() -> None:
        async with sessions() as session:
            await begin_write(session)
            await session.execute(text("SELECT 1"))
            await session.commit()

    await asyncio.wait_for(write(), seconds)


async def test_a_session_closed_mid_write_gives_the_lock_back(sessions):
    async with sessions() as session:
        await begin_write(session)
        await session.execute(text("SELECT 1"))
    # closed with its transaction open: neither committed nor rolled back
    await write_within(sessions)


async def test_a_task_cancelled_mid_write_gives_the_lock_back(sessions):
    inside = asyncio.Event()

    async def stalled_write() -> None:
        async with sessions() as session:
            await begin_write(session)
            inside.set()
            await asyncio.Event().wait()  # a long body, cancelled at a stop

    task = asyncio.create_task(stalled_write())
    await asyncio.wait_for(inside.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await write_within(sessions)


async def test_a_savepoint_ending_keeps_the_lock(sessions):
    async with sessions() as session:
        await begin_write(session)
        lock = _writer_locks[session.bind.sync_engine]
        async with session.begin_nested():
            await session.execute(text("SELECT 1"))
        assert lock.locked(), "the outer write transaction still holds SQLite's write lock"
        await session.commit()
        assert not lock.locked()
