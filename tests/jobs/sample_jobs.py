"""Jobs for the job layer's own tests, registered when this module is imported.

`test.note` appends rows to `test_notes`, a table of its own (not in the app's metadata): its effect is
deliberately NOT idempotent, so a count of rows shows whether the outbox ran a row's work exactly once.
Its text steers it: "fail:bug" raises a plain error, "fail:transient:N" fails N times with a lost database
connection, "slow:S" sleeps S seconds after writing (inside the transaction; `writing[text]` is set then), "hang-once:PATH" writes
PATH + ".started" and sleeps until killed if PATH exists (the crash test removes it before the restart).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Annotated

import msgspec
from sqlalchemy import Column, Integer, MetaData, String, Table, insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from server.db import begin_write
from server.jobs.registry import RetryPolicy, job
from server.sync.changes import ChangeSet

metadata = MetaData()
notes = Table(
    "test_notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("text", String(200)),
    Column("attempt", Integer),
)
# How many times each text has been tried, in this process (the failing runs roll their rows back).
tries: dict[str, int] = {}
# Set when a "slow:S" run has written its note and is sleeping inside its transaction.
writing: dict[str, asyncio.Event] = {}


class Note(msgspec.Struct, forbid_unknown_fields=True):
    text: str
    times: Annotated[int, msgspec.Meta(ge=1)] = 1


async def _note(session: AsyncSession, now: datetime, args: Note) -> tuple[int, ChangeSet]:
    tries[args.text] = attempt = tries.get(args.text, 0) + 1
    await begin_write(session)
    for _ in range(args.times):
        await session.execute(insert(notes).values(text=args.text, attempt=attempt))
    kind, _, rest = args.text.partition(":")
    if kind == "fail" and rest == "bug":
        raise ValueError("a bug in the job")
    if kind == "fail" and rest.startswith("transient:") and attempt <= int(rest.split(":")[1]):
        raise OperationalError("SELECT 1", {}, ConnectionResetError("connection lost"))
    if kind == "slow":
        writing.setdefault(args.text, asyncio.Event()).set()
        await asyncio.sleep(float(rest))
    if kind == "hang-once" and Path(rest).exists():
        Path(rest + ".started").write_text("started")
        await asyncio.sleep(3600)
    return args.times, ChangeSet()


note = job("test.note", args=Note, retry=RetryPolicy(tries=3, backoff_seconds=0.2), timeout=4)(_note)


@job("test.note_no_retry", args=Note, retry=RetryPolicy(tries=1), timeout=1.5)
async def note_no_retry(session: AsyncSession, now: datetime, args: Note) -> tuple[int, ChangeSet]:
    return await _note(session, now, args)


# For the kill -9 tests: one try only (a run lost with its process is not a failure), a short lease.
@job("test.crash_note", args=Note, retry=RetryPolicy(tries=1), timeout=3)
async def crash_note(session: AsyncSession, now: datetime, args: Note) -> tuple[int, ChangeSet]:
    return await _note(session, now, args)
