"""Which SQLite calls run on the event loop's thread and which wait on aiosqlite's (server/db.py), and when
writes put off by a run of mutations land (server/sync/mutations.py, `Deferred`).

Running a call inline is only safe when it cannot wait: for a lock (another writer, another process) or on
the disk (the fsync of a commit). A wrong answer either blocks the whole server or throws the gain away.
"""

from __future__ import annotations

import sqlite3

from server.db import WriterConnection, inline_reads


def connection() -> WriterConnection:
    return WriterConnection(lambda: sqlite3.connect(":memory:"), iter_chunk_size=64)  # thread not started


def test_taking_the_write_lock_and_committing_a_write_wait_on_the_thread():
    conn = connection()
    assert conn._waits("execute", ("BEGIN IMMEDIATE",))
    conn.holds_write_lock = True  # what the engine's `begin` event sets once BEGIN IMMEDIATE returned
    assert not conn._waits("execute", ("INSERT INTO t VALUES (?)", (1,)))
    assert not conn._waits("executemany", ("INSERT INTO t VALUES (?)", [(1,), (2,)]))
    assert not conn._waits("execute", ("SELECT * FROM t",))
    assert conn._waits("commit", ())  # the fsync
    assert not conn.holds_write_lock
    assert conn._waits("execute", ("BEGIN IMMEDIATE",))


def test_a_write_outside_the_write_lock_waits_and_so_does_its_commit():
    conn = connection()
    assert not conn._waits("execute", ("BEGIN DEFERRED",))
    assert conn._waits("execute", ("UPDATE t SET x = 1",))  # may wait for the lock in SQLite's busy handler
    assert conn._waits("commit", ())
    assert not conn._waits("commit", ())  # nothing written since


def test_reads_run_inline_only_where_the_caller_says_they_are_bounded():
    conn = connection()
    assert conn._waits("execute", ("SELECT count(*) FROM contacts",))  # a report: keep the loop free
    with inline_reads():
        assert not conn._waits("execute", ("  select version from sync_head",))
        assert conn._waits("execute", ("DELETE FROM t",))
    assert conn._waits("execute", ("SELECT 1",))


def test_cursors_fetches_and_read_only_ends_never_wait():
    conn = connection()
    for name in ("cursor", "fetchone", "fetchmany", "fetchall", "close"):
        assert not conn._waits(name, ())
    assert not conn._waits("execute", ("BEGIN",))
    assert not conn._waits("commit", ())
    assert not conn._waits("rollback", ())


async def test_deferred_writes_land_before_a_mutation_of_another_kind_and_once():
    from server.sync.mutations import Deferred

    async def prepare_a(ctx, args):  # the owner: every mutation of kind A shares this hook
        pass

    def handler(prepare):
        async def run(ctx, args):
            pass

        run.prepare = prepare
        return run

    written = []

    async def write():
        written.append(len(written))

    deferred = Deferred()
    deferred.add(prepare_a, write)
    deferred.add(prepare_a, write)  # a second mutation of the same run: still one write
    await deferred.run(unless=handler(prepare_a))
    assert written == []  # the run of kind A goes on
    await deferred.run(unless=handler(None))  # another kind might read what A wrote
    assert written == [0]
    await deferred.run()
    assert written == [0]
