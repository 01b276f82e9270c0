"""The optimistic view: server state with pending mutations re-applied (rebase), with local mutators."""

import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from sync_protocol.client import MemoryStore, OptimisticView, Replica, SQLiteStore
from sync_protocol.client.auth import Credentials
from sync_protocol.messages import MutationResult, PullResponse, PutOp
from sync_protocol.policies import Attendance, attendance_id, check_in, mark_absent

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def page(ops=(), *, last_seq=0, cookie="c"):
    return PullResponse(cookie=cookie, last_seq=last_seq, server_time=T0, ops=list(ops))


def counter_inc(tx, args):
    current = tx.get("counter", args["id"]) or {"value": 0}
    tx.put("counter", args["id"], {"value": current["value"] + args["by"]})


def note_add(tx, args):
    tx.put("note", args["id"], {"text": args["text"]})


def note_remove(tx, args):
    tx.delete("note", args["id"])


def broken(tx, args):
    tx.put("note", "half", {"text": "never visible"})
    raise RuntimeError("bug")


MUTATORS = {"counter.inc": counter_inc, "note.add": note_add, "note.remove": note_remove, "broken": broken}


@pytest.fixture(params=["memory", "sqlite"])
def store(request):
    store = MemoryStore() if request.param == "memory" else SQLiteStore(":memory:")
    yield store
    store.close()


def queue(store, view, name, args):
    entry = store.enqueue(name, 1, args, client_time=T0)
    view.apply(entry)
    return entry


def test_pending_mutations_apply_on_top_of_server_state(store):
    view = OptimisticView(store, MUTATORS)
    store.apply_page(page([PutOp(type="counter", id="k", version=5, scopes=["ref"], data={"value": 10})]))
    view.rebuild()
    queue(store, view, "counter.inc", {"id": "k", "by": 1})
    queue(store, view, "counter.inc", {"id": "k", "by": 2})
    record = view.get("counter", "k")
    assert record.data == {"value": 13}
    assert record.pending and record.version == 5 and record.scopes == ("ref",)
    # The server state underneath is untouched.
    assert store.get("counter", "k").data == {"value": 10}


def test_rebase_after_a_pull_replays_only_what_is_still_pending(store):
    view = OptimisticView(store, MUTATORS)
    store.apply_page(page([PutOp(type="counter", id="k", version=5, scopes=["ref"], data={"value": 10})]))
    first = queue(store, view, "counter.inc", {"id": "k", "by": 1})
    queue(store, view, "counter.inc", {"id": "k", "by": 2})
    # The server applied the first one and, meanwhile, another device added 100.
    store.settle_push([MutationResult(id=first.id, seq=first.seq, status="applied")])
    assert view.get("counter", "k").data == {"value": 13}  # no flicker between push and pull
    store.apply_page(
        page([PutOp(type="counter", id="k", version=9, scopes=["ref"], data={"value": 111})], last_seq=1)
    )
    view.rebuild()
    assert [m.seq for m in store.outbox()] == [2]
    record = view.get("counter", "k")
    assert record.data == {"value": 113}
    assert record.version == 9 and record.pending
    # Once the server has the second one too, the view is exactly the server's.
    store.apply_page(
        page([PutOp(type="counter", id="k", version=10, scopes=["ref"], data={"value": 113})], last_seq=2)
    )
    view.rebuild()
    assert view.get("counter", "k").data == {"value": 113}
    assert not view.get("counter", "k").pending
    assert view.pending_keys == set()


def test_rejected_mutation_disappears_from_the_view(store):
    view = OptimisticView(store, MUTATORS)
    entry = queue(store, view, "note.add", {"id": "n1", "text": "hello"})
    assert [r.id for r in view.records("note")] == ["n1"]
    store.settle_push([MutationResult(id=entry.id, seq=entry.seq, status="rejected", code="forbidden")])
    view.rebuild()
    assert view.records("note") == []
    assert store.held_outcomes()[0].args == {"id": "n1", "text": "hello"}


def test_local_delete_and_local_only_records(store):
    view = OptimisticView(store, MUTATORS)
    store.apply_page(
        page(
            [
                PutOp(type="note", id="s1", version=1, scopes=["ref"], data={"text": "server 1"}),
                PutOp(type="note", id="s2", version=2, scopes=["ref"], data={"text": "server 2"}),
            ]
        )
    )
    queue(store, view, "note.remove", {"id": "s1"})
    queue(store, view, "note.add", {"id": "l1", "text": "local"})
    records = view.records("note")
    assert [(r.id, r.pending, r.version) for r in records] == [("l1", True, None), ("s2", False, 2)]
    assert view.get("note", "s1") is None


def test_a_failing_mutator_is_skipped_and_reported(store):
    view = OptimisticView(store, MUTATORS)
    queue(store, view, "note.add", {"id": "a", "text": "a"})
    bad = queue(store, view, "broken", {})
    queue(store, view, "note.add", {"id": "b", "text": "b"})
    view.rebuild()
    assert [r.id for r in view.records("note")] == ["a", "b"]
    assert "RuntimeError: bug" in view.errors[bad.seq]


def test_mutations_without_a_mutator_have_no_local_effect(store):
    view = OptimisticView(store, MUTATORS)
    queue(store, view, "stay.book", {"stay_id": "s"})
    assert view.pending_keys == set()


def test_mutators_see_copies(store):
    def sneaky(tx, args):
        data = tx.get("note", "s1")
        data["text"] = "mutated in place"

    view = OptimisticView(store, {"sneaky": sneaky})
    store.apply_page(page([PutOp(type="note", id="s1", version=1, scopes=["ref"], data={"text": "server"})]))
    queue(store, view, "sneaky", {})
    assert view.get("note", "s1").data == {"text": "server"}
    assert store.get("note", "s1").data == {"text": "server"}


def test_scan_sees_the_transactions_own_writes(store):
    def add_and_count(tx, args):
        tx.put("note", args["id"], {"text": "x"})
        tx.put("stats", "notes", {"count": sum(1 for _ in tx.scan("note"))})

    view = OptimisticView(store, {"add": add_and_count})
    store.apply_page(page([PutOp(type="note", id="s1", version=1, scopes=["ref"], data={"text": "s"})]))
    queue(store, view, "add", {"id": "l1"})
    queue(store, view, "add", {"id": "l2"})
    assert view.get("stats", "notes").data == {"count": 3}


# --- the attendance mutators the PWA uses, with the shared merge rule -------------------------------------------


def attendance_mutator(event):
    def mutate(tx, args):
        record_id = str(attendance_id(args["client_id"], args["unit_id"], args["date"]))
        current = tx.get("attendance", record_id)
        state = Attendance.from_data(current)
        if event == "absent":
            state = mark_absent(state, args["reason"])
        else:
            state = check_in(state, datetime.fromisoformat(args["at"]))
        base = current or {"id": record_id, "client_id": args["client_id"], "unit_id": args["unit_id"]}
        tx.put("attendance", record_id, {**base, "date": args["date"], **state.to_data()})

    return mutate


async def test_sync_client_mutate_applies_optimistically_and_rebases():
    store = MemoryStore()
    client = Replica(
        store,
        Credentials(access_token="t"),
        base_url="http://kaari.invalid",
        mutators={
            "attendance.check_in": attendance_mutator("check_in"),
            "attendance.mark_absent": attendance_mutator("absent"),
            "broken": broken,
        },
        now=lambda: T0,
    )
    try:
        client_id, unit_id = uuid.uuid4(), uuid.uuid4()
        day = date(2026, 11, 22)
        record_id = str(attendance_id(client_id, unit_id, day))
        helsinki = timezone(timedelta(hours=2))
        args = {"client_id": client_id, "unit_id": unit_id, "date": day}
        await client.mutate("attendance.mark_absent", {**args, "reason": "sick"})
        pending = await client.mutate(
            "attendance.check_in", {**args, "at": datetime(2026, 11, 22, 8, 5, tzinfo=helsinki)}
        )
        # Arguments are stored as wire values; the time keeps its offset.
        assert pending.args["at"] == "2026-11-22T08:05:00+02:00"
        assert pending.args["client_id"] == str(client_id)
        assert pending.client_time == T0 and pending.seq == 2
        record = client.view.get("attendance", record_id)
        assert record.pending
        assert record.data["checked_in_at"] == "2026-11-22T08:05:00+02:00"
        assert record.data["absent_reason"] is None

        # Another tablet checked the client in earlier; the server sends the merged record and has
        # processed our first mutation only. Our check-in is re-applied on top: the earlier time stays.
        server_data = {
            "id": record_id,
            "client_id": str(client_id),
            "unit_id": str(unit_id),
            "date": "2026-11-22",
            **Attendance(checked_in_at=datetime(2026, 11, 22, 7, 55, tzinfo=helsinki)).to_data(),
        }
        store.apply_page(
            page(
                [PutOp(type="attendance", id=record_id, version=40, scopes=["unit:1"], data=server_data)],
                last_seq=1,
            )
        )
        client.view.rebuild()
        record = client.view.get("attendance", record_id)
        assert record.data["checked_in_at"] == "2026-11-22T07:55:00+02:00"
        assert record.version == 40 and record.pending

        # A mutator that raises queues nothing.
        with pytest.raises(RuntimeError):
            await client.mutate("broken", {})
        assert [m.seq for m in store.outbox()] == [2]
        assert client.health().outbox_depth == 1
        # Args must be an object.
        with pytest.raises(TypeError):
            await client.mutate("note.add", [1, 2])
    finally:
        await client.aclose()


async def test_oversized_mutation_is_refused_before_queueing():
    store = MemoryStore()
    async with Replica(store, Credentials(), base_url="http://kaari.invalid") as client:
        with pytest.raises(ValueError, match="too large"):
            await client.mutate("contact.record", {"note": "x" * (1024 * 1024)})
        assert store.outbox() == []
