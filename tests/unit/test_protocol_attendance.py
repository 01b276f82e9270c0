"""The attendance merge rule: one record per (client, unit, date), the same whatever the order of events
and the number of tablets."""

import functools
import uuid
from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from sync_protocol.policies import (
    Attendance,
    attendance_id,
    check_in,
    check_out,
    mark_absent,
    merge_attendance,
)

HELSINKI_WINTER = timezone(timedelta(hours=2))
HELSINKI_SUMMER = timezone(timedelta(hours=3))


def at(hour: int, minute: int = 0, tz=HELSINKI_WINTER) -> datetime:
    return datetime(2026, 11, 22, hour, minute, tzinfo=tz)


# --- examples --------------------------------------------------------------------------------------------------


def test_earliest_check_in_and_latest_check_out_win():
    state = check_in(None, at(9))
    state = check_in(state, at(8, 5))
    state = check_out(state, at(15))
    state = check_out(state, at(14))
    assert state == Attendance(checked_in_at=at(8, 5), checked_out_at=at(15))


def test_check_in_clears_an_absence():
    state = mark_absent(None, "sick")
    assert state == Attendance(absent_reason="sick")
    assert check_in(state, at(8)) == Attendance(checked_in_at=at(8))


def test_absence_does_not_overwrite_a_presence():
    state = check_in(None, at(8))
    assert mark_absent(state, "sick") == state


def test_check_out_alone_counts_as_presence():
    assert mark_absent(check_out(None, at(15)), "sick") == Attendance(checked_out_at=at(15))


def test_different_reasons_resolve_deterministically():
    assert mark_absent(mark_absent(None, "sick"), "holiday") == Attendance(absent_reason="holiday")
    assert mark_absent(mark_absent(None, "holiday"), "sick") == Attendance(absent_reason="holiday")


def test_equal_instants_with_different_offsets_merge_to_one_representation():
    winter = datetime(2026, 11, 22, 8, 0, tzinfo=HELSINKI_WINTER)
    utc = winter.astimezone(UTC)
    assert merge_attendance(Attendance(checked_in_at=winter), Attendance(checked_in_at=utc)).to_data() == (
        merge_attendance(Attendance(checked_in_at=utc), Attendance(checked_in_at=winter)).to_data()
    )


def test_data_round_trip():
    state = Attendance(checked_in_at=at(8), checked_out_at=at(15, 30))
    data = state.to_data()
    assert data == {
        "checked_in_at": "2026-11-22T08:00:00+02:00",
        "checked_out_at": "2026-11-22T15:30:00+02:00",
        "absent_reason": None,
    }
    assert Attendance.from_data({**data, "id": "x", "client_id": "y"}) == state
    assert Attendance.from_data(None) == Attendance()


def test_attendance_id_is_the_same_everywhere():
    client, unit = uuid.uuid4(), uuid.uuid4()
    day = date(2026, 11, 22)
    assert attendance_id(client, unit, day) == attendance_id(str(client), str(unit), "2026-11-22")
    assert attendance_id(client, unit, day) != attendance_id(client, unit, date(2026, 11, 23))
    assert attendance_id(client, unit, day).version == 5


# --- properties ------------------------------------------------------------------------------------------------

times = st.datetimes(
    min_value=datetime(2026, 11, 22, 6, 0),
    max_value=datetime(2026, 11, 22, 20, 0),
    timezones=st.sampled_from([UTC, HELSINKI_WINTER, HELSINKI_SUMMER]),
)
events = st.one_of(
    st.tuples(st.just("check_in"), times),
    st.tuples(st.just("check_out"), times),
    st.tuples(st.just("absent"), st.sampled_from(["sick", "holiday", "hospital", "other"])),
)
states = st.builds(
    Attendance,
    checked_in_at=st.none() | times,
    checked_out_at=st.none() | times,
    absent_reason=st.none() | st.sampled_from(["sick", "holiday"]),
)

APPLY = {"check_in": check_in, "check_out": check_out, "absent": mark_absent}


def fold(event_list, start=None):
    return functools.reduce(lambda state, event: APPLY[event[0]](state, event[1]), event_list, start)


def same(a: Attendance, b: Attendance) -> bool:
    # Equal as values *and* as data: the same instants written the same way.
    return a == b and a.to_data() == b.to_data()


@given(states, states)
def test_merge_is_commutative(a, b):
    assert same(merge_attendance(a, b), merge_attendance(b, a))


@given(states, states, states)
def test_merge_is_associative(a, b, c):
    assert same(merge_attendance(merge_attendance(a, b), c), merge_attendance(a, merge_attendance(b, c)))


@given(states)
def test_merge_is_idempotent(a):
    once = merge_attendance(a)
    assert same(merge_attendance(once, once), once)


@settings(max_examples=300)
@given(
    st.lists(events, min_size=1, max_size=12),
    st.integers(min_value=1, max_value=5),
    st.randoms(use_true_random=False),
)
def test_any_order_on_any_number_of_tablets_gives_the_same_record(event_list, tablets, rnd):
    reference = fold(event_list)

    # The server applying every event in another order.
    shuffled = list(event_list)
    rnd.shuffle(shuffled)
    assert same(fold(shuffled), reference)

    # Each tablet applies its own events (some seen twice: replays), then the results meet in any order.
    per_tablet = [[] for _ in range(tablets)]
    for event in event_list:
        per_tablet[rnd.randrange(tablets)].append(event)
        if rnd.random() < 0.2:
            per_tablet[rnd.randrange(tablets)].append(event)
    tablet_states = [fold(rnd.sample(evs, len(evs))) for evs in per_tablet]
    rnd.shuffle(tablet_states)
    assert same(merge_attendance(*tablet_states), reference)

    # And pairwise, left to right, starting from any tablet.
    assert same(functools.reduce(merge_attendance, tablet_states, None), reference)
