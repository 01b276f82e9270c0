"""The pure capacity computation: capacity, occupancy, free places, the over-capacity rule."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from server.places.capacity import (
    Change,
    DayPlaces,
    Taker,
    UnitPlaces,
    UnitState,
    capacity_on,
    day_places,
    days_to_check,
    free_places_id,
    horizon,
    occupied_on,
    overbooked,
)

D0 = date(2026, 11, 23)  # a Monday
UNIT = UnitPlaces(uuid.uuid4(), "short_term_care", 4)


def d(n: int) -> date:
    return D0 + timedelta(days=n)


def test_capacity_is_the_units_places_changed_by_deltas_and_the_latest_absolute():
    changes = [
        Change(d(0), d(6), "delta", -1),
        Change(d(3), d(4), "absolute", 2, order=1),
        Change(d(4), d(4), "absolute", 6, order=2),
        Change(d(5), d(5), "delta", -9),
    ]
    assert [capacity_on(UNIT, changes, d(n)) for n in range(8)] == [3, 3, 3, 1, 5, 0, 3, 4]


def test_day_activity_capacity_follows_weekdays_and_opening_days():
    unit = UnitPlaces(uuid.uuid4(), "day_activity", 16, {"mon": 16, "fri": 12}, ["mon", "tue", "fri"])
    assert [capacity_on(unit, [], d(n)) for n in range(7)] == [16, 0, 0, 0, 12, 0, 0]


def test_occupancy_counts_inclusive_periods_open_ends_and_skips_absences():
    takers = [
        Taker(d(1), d(3)),
        Taker(d(2), None, gaps=((d(4), d(5)),)),
        Taker(d(0), d(0)),
    ]
    assert [occupied_on(takers, d(n)) for n in range(8)] == [1, 1, 2, 2, 0, 0, 1, 1]


def test_free_places_and_horizon():
    state = UnitState(UNIT, [Change(d(1), d(1), "delta", -1)], [Taker(d(0), d(1))])
    places = day_places(state, [d(0), d(1), d(2)])
    assert places == {d(0): DayPlaces(4, 1), d(1): DayPlaces(3, 1), d(2): DayPlaces(4, 0)}
    assert places[d(1)].free == 2
    assert len(horizon(D0)) == 61 and horizon(D0)[-1] == d(60)
    assert free_places_id(UNIT.id, D0) == free_places_id(str(UNIT.id), D0) != free_places_id(UNIT.id, d(1))


def test_overbooked_only_when_a_date_goes_over_or_further_over():
    before = UnitState(UNIT, [], [Taker(d(0), d(2))] * 4)
    after = UnitState(UNIT, [], [*before.takers, Taker(d(2), d(3))])
    assert overbooked(before, after, [d(n) for n in range(5)]) == [d(2)]
    # A date already over capacity (legacy data, a capacity cut) is not made worse by an unrelated change.
    over = UnitState(UNIT, [Change(d(0), d(0), "delta", -1)], before.takers)
    assert (
        overbooked(over, UnitState(UNIT, over.changes, [*over.takers, Taker(d(5), d(5))]), [d(0), d(5)]) == []
    )
    # A capacity cut below the places taken is.
    assert overbooked(before, over, [d(0)]) == [d(0)]


def test_open_ended_checks_run_past_the_last_event_and_the_horizon():
    state = UnitState(UNIT, [Change(d(90), d(95), "delta", -4)], [Taker(d(0), d(100))])
    days = days_to_check(d(0), None, [state], D0)
    assert days[0] == d(0) and days[-1] == d(101)
    assert days_to_check(d(0), None, [UnitState(UNIT)], D0)[-1] == d(60)
    assert days_to_check(d(3), d(5), [state], D0) == [d(3), d(4), d(5)]
