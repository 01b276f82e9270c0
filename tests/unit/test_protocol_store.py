"""Client stores: the memory and SQLite stores give the same results on the same operations, keep scope
checksums equal to a recomputation, and apply a pull page atomically."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync_protocol.checksum import ScopeChecksum, compute_checksum
from sync_protocol.client import MemoryStore, SQLiteStore
from sync_protocol.messages import DelOp, MutationResult, PullResponse, PurgeOp, PutOp, ScopeSummary

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def page(ops=(), *, cookie="c", last_seq=0, has_more=False, reset=False, outcomes=(), scopes=None):
    return PullResponse(
        cookie=cookie,
        last_seq=last_seq,
        has_more=has_more,
        reset=reset,
        server_time=T0,
        ops=list(ops),
        outcomes=list(outcomes),
        scopes=scopes or {},
    )


def put(id_, version, scopes, type_="client", **data):
    return PutOp(type=type_, id=id_, version=version, scopes=list(scopes), data=data or {"v": version})


def recomputed(store):
    sums = {}
    for record in store.records():
        for scope in record.scopes:
            sums.setdefault(scope, []).append((record.type, record.id, record.version))
    return {scope: compute_checksum(keys) for scope, keys in sums.items()}


def snapshot(store):
    state = store.state()
    return {
        "records": store.records(),
        "sums": store.scope_checksums(),
        "state": (state.cookie, state.last_seq, state.next_seq, state.complete, state.resync_scopes),
        "flags": (state.push_stopped, state.last_error),
        "outbox": store.outbox(),
        "held": store.held_outcomes(),
    }


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path):
    if request.param == "memory":
        yield MemoryStore()
    else:
        store = SQLiteStore(tmp_path / "client.db")
        yield store
        store.close()


# --- examples, run on both stores ----------------------------------------------------------------------------


def test_put_del_and_checksums(store):
    store.apply_page(page([put("a", 1, ["unit:1"]), put("b", 2, ["unit:1", "ref"]), put("c", 3, ["ref"])]))
    assert [r.id for r in store.records()] == ["a", "b", "c"]
    assert store.get("client", "b").scopes == ("ref", "unit:1")
    assert store.scope_checksums() == recomputed(store)
    store.apply_page(page([put("a", 4, ["ref"]), DelOp(type="client", id="c", version=5)]))
    assert store.get("client", "c") is None
    assert store.get("client", "a").version == 4
    assert store.scope_checksums() == recomputed(store)
    assert store.scope_checksums()["unit:1"].count == 1


def test_purge_drops_the_scope_and_orphans(store):
    store.apply_page(page([put("a", 1, ["unit:1"]), put("b", 2, ["unit:1", "ref"])]))
    store.apply_page(page([PurgeOp(scope="unit:1")]))
    assert [r.id for r in store.records()] == ["b"]
    assert store.get("client", "b").scopes == ("ref",)
    assert "unit:1" not in store.scope_checksums()
    assert store.scope_checksums() == recomputed(store)


def test_purge_then_resend_in_one_page(store):
    store.apply_page(page([put("a", 1, ["unit:1"]), put("b", 2, ["unit:1"])]))
    store.apply_page(page([PurgeOp(scope="unit:1"), put("b", 2, ["unit:1"])]))
    assert [r.id for r in store.records()] == ["b"]
    assert store.scope_checksums() == recomputed(store)


def test_reset_discards_the_replica_but_not_the_outbox(store):
    store.apply_page(page([put("a", 1, ["unit:1"])]))
    pending = store.enqueue("client.update", 1, {"x": 1}, client_time=T0)
    store.apply_page(page([put("b", 7, ["unit:1"])], cookie="c2", reset=True))
    assert [r.id for r in store.records()] == ["b"]
    assert store.outbox() == [pending]
    assert store.scope_checksums() == {"unit:1": compute_checksum([("client", "b", 7)])}


def test_checksum_verification_on_the_last_page(store):
    good = compute_checksum([("client", "a", 1)]).summary()
    mismatched = store.apply_page(
        page(
            [put("a", 1, ["unit:1"]), put("z", 1, ["area:9"])],
            scopes={"unit:1": good, "ref": ScopeSummary(checksum="0" * 16, count=1)},
        )
    )
    # "ref" is missing locally, "area:9" is local but not the server's.
    assert mismatched == ["area:9", "ref"]
    assert store.state().resync_scopes == ["area:9", "ref"]
    # The next pull sent them; its pages clear them, and a clean last page leaves nothing to resync.
    store.apply_page(page([], has_more=True), sent_resync=["area:9", "ref"])
    assert store.state().resync_scopes == []
    assert store.state().complete is False
    clean = store.apply_page(page([PurgeOp(scope="area:9")], scopes={"unit:1": good}))
    assert clean == []
    assert store.state().complete is True


def test_checksums_are_not_verified_on_intermediate_pages(store):
    assert store.apply_page(page([put("a", 1, ["unit:1"])], has_more=True)) == []
    assert store.state().resync_scopes == []


def test_a_last_page_without_summary_verifies_nothing(store):
    assert store.apply_page(page([put("a", 1, ["unit:1"])])) == []
    assert store.state().resync_scopes == []


def test_outbox_seq_and_statuses(store):
    first = store.enqueue("a", 1, {"n": 1}, client_time=T0)
    second = store.enqueue("b", 2, {"n": 2}, base_version=10, client_time=T0 + timedelta(seconds=1))
    assert (first.seq, second.seq) == (1, 2)
    assert store.outbox_stats() == (2, T0)
    store.mark_sent([1, 2])
    assert {m.status for m in store.outbox()} == {"sent"}
    held = store.settle_push(
        [
            MutationResult(id=first.id, seq=1, status="applied"),
            MutationResult(id=second.id, seq=2, status="rejected", code="invalid_code", message="no"),
        ]
    )
    assert [h.seq for h in held] == [2]
    assert [(m.seq, m.status) for m in store.outbox()] == [(1, "applied")]
    assert store.unacknowledged() == []
    [outcome] = store.held_outcomes()
    assert (outcome.name, outcome.args, outcome.code) == ("b", {"n": 2}, "invalid_code")
    # The pull covering seq 1 drops the applied entry.
    store.apply_page(page(last_seq=2))
    assert store.outbox() == []
    assert store.enqueue("c", 1, {}).seq == 3


def test_a_result_for_another_mutation_never_drops_an_entry(store):
    entry = store.enqueue("a", 1, {})
    store.settle_push([MutationResult(id=uuid.uuid4(), seq=entry.seq, status="rejected", code="x")])
    assert store.outbox() == [entry]


def test_pull_outcomes_are_held_once(store):
    entry = store.enqueue("stay.book", 1, {"stay_id": "s"})
    rejected = MutationResult(id=entry.id, seq=1, status="rejected", code="capacity_exhausted")
    store.settle_push([rejected])
    store.apply_page(page(last_seq=1, outcomes=[rejected]))
    [held] = store.held_outcomes()
    assert held.name == "stay.book"
    store.dismiss(held.id)
    assert store.held_outcomes() == []


def test_requeue_from_a_seq_gap_renumbers_when_the_server_lost_history(store):
    for n in range(5):
        store.enqueue("a", 1, {"n": n})
    store.apply_page(page(last_seq=2))  # 1 and 2 acknowledged and dropped
    store.mark_sent([3, 4, 5])
    store.requeue_from(1)  # the server lost everything
    assert [(m.seq, m.args["n"], m.status) for m in store.outbox()] == [
        (1, 2, "pending"),
        (2, 3, "pending"),
        (3, 4, "pending"),
    ]
    assert store.enqueue("a", 1, {"n": 5}).seq == 4


def test_requeue_from_a_held_seq_resends(store):
    for n in range(3):
        store.enqueue("a", 1, {"n": n})
    store.mark_sent([1, 2, 3])
    store.requeue_from(2)
    assert [(m.seq, m.status) for m in store.outbox()] == [(1, "sent"), (2, "pending"), (3, "pending")]


def test_wipe_erases_everything_and_starts_a_new_client(store):
    old_id = store.client_id
    store.apply_page(page([put("a", 1, ["unit:1"])], last_seq=0))
    store.enqueue("a", 1, {})
    store.settle_push([MutationResult(id=uuid.uuid4(), seq=9, status="rejected")])
    store.wipe()
    assert store.records() == [] and store.outbox() == [] and store.held_outcomes() == []
    assert store.scope_checksums() == {}
    assert store.client_id != old_id
    assert store.state().cookie is None
    assert store.enqueue("a", 1, {}).seq == 1


def test_reset_replica_keeps_outbox_and_client(store):
    client_id = store.client_id
    store.apply_page(page([put("a", 1, ["unit:1"])], cookie="c9"))
    entry = store.enqueue("a", 1, {})
    store.reset_replica()
    assert store.records() == [] and store.scope_checksums() == {}
    assert store.outbox() == [entry]
    assert store.client_id == client_id
    assert store.state().cookie is None


def test_stop_pushing_and_last_error(store):
    store.set_last_error("http_503")
    assert store.state().last_error == "http_503"
    store.stop_pushing("seq_reused")
    assert store.state().push_stopped == "seq_reused"


# --- SQLite specifics ------------------------------------------------------------------------------------------


def test_sqlite_survives_reopening(tmp_path):
    path = tmp_path / "client.db"
    store = SQLiteStore(path)
    client_id = store.client_id
    store.apply_page(page([put("a", 1, ["unit:1"], name="Äijä")], cookie="c1", last_seq=0))
    entry = store.enqueue("a", 1, {"at": "2026-11-22T08:00:00+02:00"}, client_time=T0)
    before = snapshot(store)
    store.close()
    reopened = SQLiteStore(path)
    assert reopened.client_id == client_id
    assert snapshot(reopened) == before
    assert reopened.outbox() == [entry]
    assert reopened.storage_used() > 0
    reopened.close()


def test_sqlite_page_is_atomic(tmp_path, monkeypatch):
    store = SQLiteStore(tmp_path / "client.db")
    store.apply_page(page([put("a", 1, ["unit:1"])], cookie="c1"))
    store.enqueue("x", 1, {})
    before = snapshot(store)
    calls = {"n": 0}
    original = SQLiteStore._put_record

    def failing_put(self, record):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        original(self, record)

    monkeypatch.setattr(SQLiteStore, "_put_record", failing_put)
    with pytest.raises(OSError, match="disk full"):
        store.apply_page(page([put("b", 2, ["unit:1"]), put("c", 3, ["unit:1"])], cookie="c2", last_seq=1))
    assert snapshot(store) == before  # no record, no cookie, the outbox untouched
    store.close()


def test_sqlite_large_sums_are_stored_signed(tmp_path):
    store = SQLiteStore(tmp_path / "client.db")
    ops = [put(str(n), n + 1, ["unit:1"]) for n in range(50)]
    store.apply_page(page(ops))
    expected = compute_checksum((op.type, op.id, op.version) for op in ops)
    assert store.scope_checksums() == {"unit:1": expected}
    store.close()


# --- the two stores agree on any sequence of operations --------------------------------------------------------

SCOPES = ["ref", "unit:1", "unit:2", "area:1"]
ids = st.sampled_from(["a", "b", "c", "d", "e"])
ops = st.one_of(
    st.tuples(st.just("put"), ids, st.sets(st.sampled_from(SCOPES), min_size=1, max_size=3)),
    st.tuples(st.just("del"), ids, st.just(None)),
    st.tuples(st.just("purge"), st.sampled_from(SCOPES), st.just(None)),
)
steps = st.one_of(
    st.tuples(st.just("page"), st.lists(ops, max_size=6), st.booleans(), st.booleans(), st.integers(0, 6)),
    st.tuples(st.just("enqueue"), st.sampled_from(["a.x", "b.y"])),
    st.tuples(st.just("push"), st.lists(st.sampled_from(["applied", "rejected", "conflict"]), max_size=4)),
    st.tuples(st.just("requeue"), st.integers(0, 3)),
    st.tuples(
        st.just("dismiss"),
    ),
    st.tuples(
        st.just("reset"),
    ),
)


def run_step(stores, step, counter):
    memory = stores[0]
    kind = step[0]
    if kind == "page":
        _, abstract_ops, has_more, reset, seq_back = step
        concrete = []
        for op, target, scopes in abstract_ops:
            counter["version"] += 1
            if op == "put":
                concrete.append(put(target, counter["version"], sorted(scopes), note=counter["version"]))
            elif op == "del":
                concrete.append(DelOp(type="client", id=target, version=counter["version"]))
            else:
                concrete.append(PurgeOp(scope=target))
        next_seq = memory.state().next_seq
        last_seq = max(memory.state().last_seq, next_seq - 1 - seq_back)
        outcomes = [
            MutationResult(id=m.id, seq=m.seq, status="rejected", code="x")
            for m in memory.outbox()
            if m.seq <= last_seq and m.seq % 2
        ]
        summary = {s: c.summary() for s, c in recomputed(memory).items() if s != "area:1"}
        response = page(
            concrete,
            cookie=f"c{counter['version']}",
            last_seq=last_seq,
            has_more=has_more,
            reset=reset,
            outcomes=outcomes,
            scopes=summary,
        )
        return [s.apply_page(response, sent_resync=["unit:2"]) for s in stores]
    if kind == "enqueue":
        counter["mutation"] += 1
        mutation_id = uuid.UUID(int=counter["mutation"])
        when = T0 + timedelta(seconds=counter["mutation"])
        return [
            s.enqueue(step[1], 1, {"n": counter["mutation"]}, client_time=when, mutation_id=mutation_id)
            for s in stores
        ]
    if kind == "push":
        batch = memory.unacknowledged(limit=len(step[1]))
        results = [
            MutationResult(id=m.id, seq=m.seq, status=status, code=None if status == "applied" else "c")
            for m, status in zip(batch, step[1], strict=False)
        ]
        for s in stores:
            s.mark_sent(m.seq for m in batch)
        return [s.settle_push(results) for s in stores]
    if kind == "requeue":
        outbox = memory.outbox()
        if outbox:
            target = max(1, outbox[0].seq - step[1])
            for s in stores:
                s.requeue_from(target)
        return None
    if kind == "dismiss":
        held = memory.held_outcomes()
        for s in stores:
            if held:
                s.dismiss(held[0].id)
        return None
    for s in stores:
        s.reset_replica()
    return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(steps, max_size=25))
def test_memory_and_sqlite_stores_agree(program):
    stores = [MemoryStore(), SQLiteStore(":memory:")]
    counter = {"version": 0, "mutation": 0}
    try:
        for step in program:
            answers = run_step(stores, step, counter)
            if answers is not None:
                assert answers[0] == answers[1], step
            assert snapshot(stores[0]) == snapshot(stores[1]), step
            for store in stores:
                assert store.scope_checksums() == recomputed(store)
                assert all(c.count > 0 for c in store.scope_checksums().values())
            seqs = [m.seq for m in stores[0].outbox()]
            assert seqs == sorted(set(seqs))
            assert all(seq < stores[0].state().next_seq for seq in seqs)
    finally:
        stores[1].close()


def test_checksum_value_type_matches_store_upkeep():
    store = MemoryStore()
    store.apply_page(page([put("a", 1, ["ref"]), put("b", 1, ["ref"])]))
    store.apply_page(page([put("a", 2, ["ref"])]))
    assert store.scope_checksums()["ref"] == ScopeChecksum().add("client", "a", 2).add("client", "b", 1)


def test_a_fork_starts_from_the_same_replica_and_goes_its_own_way():
    """The load generator's tablets: one first sync, many replicas; a change to one is in no other."""
    seed = MemoryStore()
    seed.apply_page(page([put("a", 1, ["unit:1"]), put("b", 2, ["unit:1"])], cookie="c1"))
    fork = seed.fork()
    assert fork.client_id != seed.client_id
    assert fork.state().cookie == "c1" and fork.outbox() == []
    assert fork.scope_checksums() == seed.scope_checksums()

    fork.apply_page(page([put("a", 3, ["unit:1"]), DelOp(type="client", id="b", version=4)], cookie="c2"))
    fork.enqueue("attendance.check_in", 1, {"x": 1}, client_time=T0)
    assert [(r.id, r.version) for r in seed.records()] == [("a", 1), ("b", 2)]
    assert seed.state().cookie == "c1" and seed.outbox() == []
    assert seed.scope_checksums() == recomputed(seed)
    assert fork.scope_checksums() == recomputed(fork)
    with pytest.raises(ValueError, match="has not pushed"):
        fork.fork()
