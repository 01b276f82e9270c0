"""Property: after any sequence of bookings, series of rotating periods and their cancellation,
cancellations, date changes, moves in and out and between units, absences and capacity changes, the `free_places` a coordinator's replica holds equal an independent recomputation from the
raw rows (`tests.places.helpers.recompute`), and no date is over capacity.

One database for the whole run: each example adds its operations to what earlier examples left, which is
exactly the situation the property must hold in. SQLite only; the computation does not depend on the engine
(the race tests cover the engines).
"""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.demo import demo_id
from server.places.models import series_stay_id
from server.reference.models import reference_id
from tests.places.helpers import (
    H24,
    STC,
    STC_CLIENTS,
    day,
    other_client,
    published,
    recompute,
    replica,
    window,
)

H24_1 = reference_id("unit", "oulu-h24-1")
UNITS = {"stc": STC, "h24": H24, "h24_1": H24_1}
offset = st.integers(min_value=-2, max_value=62)
length = st.integers(min_value=0, max_value=6)
pick = st.integers(min_value=0, max_value=1000)

operation = st.one_of(
    st.tuples(st.just("book"), pick, offset, length),
    st.tuples(st.just("cancel"), pick),
    st.tuples(st.just("change"), pick, offset, length),
    st.tuples(st.just("move_in"), pick, offset),
    st.tuples(st.just("move_out"), pick, offset),
    st.tuples(st.just("absence"), pick, offset, length),
    st.tuples(st.just("move"), pick, offset),
    st.tuples(
        st.just("series"),
        pick,
        offset,
        st.integers(min_value=1, max_value=7),
        st.integers(min_value=1, max_value=4),
        st.integers(min_value=1, max_value=4),
        st.booleans(),
    ),
    st.tuples(st.just("cancel_series"), pick, offset),
    st.tuples(
        st.just("capacity"),
        st.sampled_from(sorted(UNITS)),
        offset,
        length,
        st.sampled_from(["delta", "absolute"]),
        st.integers(min_value=-3, max_value=16),
    ),
)


@pytest.fixture
def backend() -> str:
    return "sqlite"


class World:
    def __init__(self) -> None:
        self.sync = None
        self.stays: list[str] = []
        self.series: list[str] = []
        self.residencies = [str(demo_id("residency", f"oulu-h24-3:{n}")) for n in range(13)]
        self.unit_of = dict.fromkeys(self.residencies, H24)


@pytest.fixture
def world() -> World:
    return World()


def new_id() -> str:
    return str(uuid.uuid4())


async def apply(world: World, op: tuple) -> None:
    sync, kind = world.sync, op[0]
    if kind == "book":
        _, who, start, span = op
        world.stays.append(new_id())
        args = {"stay_id": world.stays[-1], "client_id": STC_CLIENTS[who % 2], "unit_id": str(STC)}
        await sync.mutate("stay.book", {**args, "start_date": day(start), "end_date": day(start + span)})
    elif kind == "cancel" and world.stays:
        await sync.mutate("stay.cancel", {"stay_id": world.stays[op[1] % len(world.stays)]})
    elif kind == "change" and world.stays:
        _, which, start, span = op
        stay_id = world.stays[which % len(world.stays)]
        await sync.mutate(
            "stay.change_dates", {"stay_id": stay_id, "start_date": day(start), "end_date": day(start + span)}
        )
    elif kind == "move":
        residency = world.residencies[op[1] % len(world.residencies)]
        target = H24_1 if world.unit_of[residency] == H24 else H24
        world.residencies.append(new_id())
        world.unit_of[world.residencies[-1]] = target
        args = {"residency_id": residency, "new_residency_id": world.residencies[-1], "unit_id": str(target)}
        await sync.mutate("residency.move", {**args, "move_date": day(op[2])})
    elif kind == "series":
        _, who, start, period_days, every_weeks, periods, all_or_nothing = op
        world.series.append(new_id())
        world.stays += [str(series_stay_id(world.series[-1], n)) for n in range(periods)]
        args = {"series_id": world.series[-1], "client_id": STC_CLIENTS[who % 2], "unit_id": str(STC)}
        await sync.mutate(
            "stay.book_series",
            {
                **args,
                "first_start": day(start),
                "period_days": period_days,
                "every_weeks": every_weeks,
                "periods": periods,
                "all_or_nothing": all_or_nothing,
            },
        )
    elif kind == "cancel_series" and world.series:
        series_id = world.series[op[1] % len(world.series)]
        await sync.mutate("stay.cancel_series", {"series_id": series_id, "from_date": day(op[2])})
    elif kind == "move_in":
        world.residencies.append(new_id())
        world.unit_of[world.residencies[-1]] = H24
        args = {
            "residency_id": world.residencies[-1],
            "client_id": other_client(op[1] % 30),
            "unit_id": str(H24),
        }
        await sync.mutate("residency.move_in", {**args, "move_in": day(op[2])})
    elif kind == "move_out":
        residency = world.residencies[op[1] % len(world.residencies)]
        await sync.mutate("residency.move_out", {"residency_id": residency, "move_out": day(op[2])})
    elif kind == "absence":
        _, which, start, span = op
        residency = world.residencies[which % len(world.residencies)]
        args = {"absence_id": new_id(), "residency_id": residency, "reason": "home_leave"}
        await sync.mutate(
            "residency.absence", {**args, "start_date": day(start), "end_date": day(start + span)}
        )
    elif kind == "capacity":
        _, unit, start, span, mode, places = op
        if mode == "delta":
            places = places % 5 - 2
        args = {"change_id": new_id(), "unit_id": str(UNITS[unit]), "mode": mode, "places": places}
        await sync.mutate(
            "capacity.change",
            {**args, "reason": "test", "start_date": day(start), "end_date": day(start + span)},
        )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(operation, min_size=1, max_size=12))
async def test_free_places_equal_a_recomputation_from_the_rows(client, db, world, operations):
    if world.sync is None:
        world.sync = await replica(client, "kotas")
    for op in operations:
        await apply(world, op)
    report = await world.sync.sync()
    assert report.pull.mismatched == []
    assert not world.sync.store.outbox()
    for unit in UNITS.values():
        expected = await recompute(db, unit, window())
        assert published(world.sync, unit) == expected
        assert all(occupied <= capacity for capacity, occupied in expected.values())
