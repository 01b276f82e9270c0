"""Nothing lost, nothing twice: a Hypothesis state machine of replicas over a network that misbehaves (QUALITY.md).

Each Hypothesis example is one schedule: two or three replicas (user `paiva` on different devices, in-memory
and SQLite stores, sometimes the counsellor `ohjaaja`) record attendance for four clients of the demo day
unit over the last three days (some of it invalid, to be rejected) and contacts, push, pull and sync, two of
them at once with one request held back behind the other's, while the network drops requests, drops
responses after the server committed, duplicates, cuts answers mid-body, the server restarts and devices
restart or die between commit and acknowledgement.

After every step the cheap invariants hold (:func:`~tests.sync.invariants.check_always`); at the end of
each example (``teardown``) the network heals, every replica drains, and the full invariants are checked
for that example's replicas and mutations (:func:`~tests.sync.invariants.check_converged`).

All examples of one test share one database and one event loop (owned by the test, driven from the sync
rules with ``asyncio.Runner.run``). CI: 80 examples on SQLite, 10 on PostgreSQL; `--long`: 25 times as many.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from server.settings import Settings
from tests.sync.faults import FAULT_KINDS, FaultyNetwork, Tablet
from tests.sync.invariants import (
    ATTENDANCE_KINDS,
    CALLERS,
    CHANNELS,
    REASONS,
    RESOLUTIONS,
    TOPICS,
    Schedule,
    Totals,
    World,
    attendance_args,
    check_always,
    check_converged,
    contact_args,
    heal_and_drain,
    net,
)

STEPS = 25
MAX_SERVER_RESTARTS = 1
"""Per example: a restart costs a new app (~0.1 s); one per schedule keeps 200 of them within CI's budget."""
REORDER_WAIT = 0.02
"""Seconds a held-back request waits for the next one before going anyway."""
RATE_FAULTS = ("drop_request", "drop_response", "duplicate", "truncate")
"""Faults a rate applies to any request (reorder needs a second request in flight: see `concurrent`)."""

tablet_index = st.integers(0, 2)
"""Which replica (modulo how many there are)."""

attendance_event = st.fixed_dictionaries(
    {
        "client": st.integers(0, 3),
        "days_ago": st.integers(0, 2),
        "hour": st.integers(7, 16),
        "minute": st.sampled_from((0, 15, 30, 45)),
        "helsinki": st.booleans(),
        "reason": st.sampled_from(REASONS),
        # 0: a date in the future (invalid_date); 1: an unknown absence reason (invalid_code); else valid.
        "spoil": st.integers(0, 19),
    }
)

contact_event = st.fixed_dictionaries(
    {
        "minutes_ago": st.integers(1, 600),
        "channel": st.sampled_from(CHANNELS),
        "caller": st.sampled_from(CALLERS),
        "contact_type": st.sampled_from(("to_service", "from_service")),
        "topics": st.lists(st.sampled_from(TOPICS), min_size=1, max_size=2, unique=True),
        "resolution": st.sampled_from(RESOLUTIONS),
        "client": st.one_of(st.none(), st.integers(0, 3)),
    }
)


class FaultSchedules(RuleBasedStateMachine):
    """One example = one schedule. The test sets ``world`` and ``runner`` on a subclass."""

    world: ClassVar[World]
    runner: ClassVar[asyncio.Runner]

    def __init__(self) -> None:
        super().__init__()
        self.schedule: Schedule | None = None
        self.broken = False
        self.checked_at = -1
        """``network.requests`` at the last :meth:`always` (the server changes only when asked)."""
        self.server_restarts = 0

    # --- plumbing ------------------------------------------------------------------------------------------

    def run(self, coro: Any) -> Any:
        """Run one coroutine on the test's event loop; a failure stops the end-of-example checks."""
        try:
            return self.runner.run(coro)
        except BaseException:
            self.broken = True
            raise

    @property
    def counts(self) -> Any:
        return self.world.totals.counts

    @property
    def tablets(self) -> list[Tablet]:
        assert self.schedule is not None
        return self.schedule.tablets

    def _pick(self, index: int, user: str | None = None) -> Tablet:
        tablets = [t for t in self.tablets if user is None or t.user == user]
        return tablets[index % len(tablets)]

    def _step(self) -> None:
        self.counts["steps"] += 1

    # --- the schedule's replicas ---------------------------------------------------------------------------

    @initialize(
        seed=st.integers(0, 2**32 - 1),
        data=st.data(),
        third=st.sampled_from(("none", "ohjaaja", "c")),
        third_sqlite=st.booleans(),
    )
    def start(self, seed: int, data: st.DataObject, third: str, third_sqlite: bool) -> None:
        world, network = self.world, self.world.network
        rng = random.Random(seed)
        network.rng = rng
        network.heal()
        clients = data.draw(
            st.lists(st.sampled_from(world.unit_clients), min_size=4, max_size=4, unique=True),
            label="clients",
        )
        if third == "ohjaaja" and not world.has_contacts:
            third = "c"

        async def setup() -> Schedule:
            tablets = [
                await world.new_tablet("a", rng, sqlite=False),
                await world.new_tablet("b", rng, sqlite=True),
            ]
            if third == "ohjaaja":
                tablets.append(await world.new_tablet("ohjaaja", rng, sqlite=third_sqlite, user="ohjaaja"))
            elif third == "c":
                tablets.append(await world.new_tablet("c", rng, sqlite=third_sqlite))
            schedule = Schedule(tablets, clients, datetime.now(UTC).date())
            self.schedule = schedule  # closed in teardown even if the snapshot fails
            await schedule.snapshot(world)
            return schedule

        self.run(setup())

    # --- local mutations -----------------------------------------------------------------------------------

    def _attendance(self, kind: str, index: int, events: list[dict[str, Any]]) -> None:
        assert self.schedule is not None
        schedule, tablet = self.schedule, self._pick(index, "paiva")
        self._step()

        async def mutate() -> None:
            for e in events:
                day, valid, reason = schedule.today - timedelta(days=e["days_ago"]), True, e["reason"]
                if e["spoil"] == 0:
                    day, valid = schedule.today + timedelta(days=5), False  # invalid_date
                elif e["spoil"] == 1 and kind == "attendance.mark_absent":
                    reason, valid = "not_a_reason", False  # invalid_code
                args = attendance_args(
                    kind,
                    schedule.clients[e["client"]],
                    day,
                    hour=e["hour"],
                    minute=e["minute"],
                    helsinki=e["helsinki"],
                    reason=reason,
                )
                await tablet.mutate(kind, args)
                schedule.add_attendance(tablet, kind, args, valid)
                self.counts["mutations"] += 1

        self.run(mutate())

    @rule(index=tablet_index, events=st.lists(attendance_event, min_size=1, max_size=3))
    def check_in(self, index: int, events: list[dict[str, Any]]) -> None:
        self._attendance(ATTENDANCE_KINDS[0], index, events)

    @rule(index=tablet_index, events=st.lists(attendance_event, min_size=1, max_size=3))
    def check_out(self, index: int, events: list[dict[str, Any]]) -> None:
        self._attendance(ATTENDANCE_KINDS[1], index, events)

    @rule(index=tablet_index, events=st.lists(attendance_event, min_size=1, max_size=3))
    def mark_absent(self, index: int, events: list[dict[str, Any]]) -> None:
        self._attendance(ATTENDANCE_KINDS[2], index, events)

    @precondition(lambda self: any(t.user == "ohjaaja" for t in self.tablets))
    @rule(contacts=st.lists(contact_event, min_size=1, max_size=2))
    def record_contact(self, contacts: list[dict[str, Any]]) -> None:
        assert self.schedule is not None
        schedule, tablet = self.schedule, self._pick(0, "ohjaaja")
        self._step()

        async def mutate() -> None:
            for e in contacts:
                client = None if e["client"] is None else schedule.clients[e["client"]]
                args = contact_args(
                    e["minutes_ago"],
                    e["channel"],
                    e["caller"],
                    e["contact_type"],
                    e["topics"],
                    e["resolution"],
                    client,
                )
                await tablet.mutate("contact.record", args)
                schedule.add_contact(tablet, args)
                self.counts["mutations"] += 1
                self.counts["contacts"] += 1

        self.run(mutate())

    # --- the network ---------------------------------------------------------------------------------------

    @rule(index=tablet_index)
    def push(self, index: int) -> None:
        self._step()
        self.run(net(self.world, self._pick(index), "push"))

    @rule(index=tablet_index)
    def pull(self, index: int) -> None:
        self._step()
        self.run(net(self.world, self._pick(index), "pull"))

    @rule(index=tablet_index)
    def sync(self, index: int) -> None:
        self._step()
        self.run(net(self.world, self._pick(index), "sync"))

    @precondition(lambda self: len(self.tablets) > 1)
    @rule(
        first=tablet_index,
        other=st.integers(0, 1),
        first_action=st.sampled_from(("push", "sync")),
        second_action=st.sampled_from(("push", "pull", "sync")),
        reorder=st.booleans(),
    )
    def concurrent(
        self, first: int, other: int, first_action: str, second_action: str, reorder: bool
    ) -> None:
        """Two replicas at once; with ``reorder`` the first request is held back behind the other's."""
        self._step()
        n = len(self.tablets)
        i = first % n
        a, b = self.tablets[i], self.tablets[(i + 1 + other % (n - 1)) % n]
        if reorder:
            self.world.network.force("reorder")
        self.counts["concurrent"] += 1

        async def both() -> None:
            await asyncio.gather(net(self.world, a, first_action), net(self.world, b, second_action))

        self.run(both())

    @rule(rates=st.dictionaries(st.sampled_from(RATE_FAULTS), st.floats(0.05, 0.3), min_size=1, max_size=3))
    def set_faults(self, rates: dict[str, float]) -> None:
        self._step()
        self.world.network.set_faults(**rates)

    @rule()
    def heal(self) -> None:
        self._step()
        self.world.network.heal()

    @rule(kind=st.sampled_from(FAULT_KINDS))
    def force_fault(self, kind: str) -> None:
        """The next request (of whichever replica) gets ``kind``."""
        self._step()
        self.world.network.force(kind)

    # --- restarts ------------------------------------------------------------------------------------------

    @precondition(lambda self: self.server_restarts < MAX_SERVER_RESTARTS)
    @rule()
    def restart_server(self) -> None:
        self._step()
        self.server_restarts += 1
        self.run(self.world.network.restart_server())
        self.counts["server_restart"] += 1

    @rule(index=tablet_index)
    def restart_client(self, index: int) -> None:
        self._step()
        self._pick(index).restart()
        self.counts["client_restart"] += 1

    @rule(index=tablet_index, then_restart_server=st.booleans())
    def crash_between_commit_and_ack(self, index: int, then_restart_server: bool) -> None:
        """The device dies after the server committed its push, then maybe the server restarts too."""
        self._step()
        then_restart_server &= self.server_restarts < MAX_SERVER_RESTARTS
        self.server_restarts += then_restart_server
        network, tablet = self.world.network, self._pick(index)

        async def crash() -> None:
            network.forced.insert(0, "crash_after_commit")
            await net(self.world, tablet, "push")
            if network.forced[:1] == ["crash_after_commit"]:
                network.forced.pop(0)  # nothing to push: no request took it
            if then_restart_server:
                await network.restart_server()
                self.counts["server_restart"] += 1

        self.run(crash())

    # --- invariants ----------------------------------------------------------------------------------------

    @invariant()
    def always(self) -> None:
        requests = self.world.network.requests
        if self.schedule is not None and not self.broken and requests != self.checked_at:
            self.run(check_always(self.world, self.schedule))
            self.checked_at = requests

    def teardown(self) -> None:
        """Heal, drain, check everything for this example; close its replicas whatever happened."""
        schedule, self.schedule = self.schedule, None
        if schedule is None:
            return
        try:
            if not self.broken:
                self.run(heal_and_drain(self.world, schedule.tablets))
                self.run(check_converged(self.world, schedule))
                self.run(check_always(self.world, schedule))
                self.counts["schedules"] += 1
        finally:
            self.counts["requests"] = self.world.network.requests
            for tablet in schedule.tablets:
                self.runner.run(tablet.aclose())


def test_fault_schedules(demo: Settings, backend: str, long_run: bool, tmp_path: Path) -> None:
    examples = (80 if backend == "sqlite" else 10) * (25 if long_run else 1)
    examples = int(os.environ.get("KAARI_FAULT_SCHEDULES", examples))
    totals = Totals()
    started = time.monotonic()
    with asyncio.Runner() as runner:
        network = FaultyNetwork(demo, random.Random(0))
        network.reorder_wait = REORDER_WAIT
        runner.run(network.start())
        world = World(demo, network, tmp_path, totals)
        machine = type(
            "FaultSchedulesOn" + backend.title(), (FaultSchedules,), {"world": world, "runner": runner}
        )
        try:
            runner.run(world.load())
            run_state_machine_as_test(
                machine,
                settings=hypothesis_settings(
                    max_examples=examples,
                    stateful_step_count=STEPS,
                    deadline=None,
                    derandomize=True,
                    database=None,
                    suppress_health_check=[
                        HealthCheck.too_slow,
                        HealthCheck.function_scoped_fixture,
                        HealthCheck.filter_too_much,
                        HealthCheck.data_too_large,
                    ],
                ),
            )
        finally:
            for kind in (*FAULT_KINDS, "reorder_timeout"):
                totals.counts[kind] = network.counts[kind]
            text = totals.report(f"{backend}{' --long' if long_run else ''}", time.monotonic() - started)
            print("\n" + text)
            totals.append_artifact(text)
            runner.run(world.close())
            runner.run(network.stop())
    assert totals.counts["schedules"] >= examples
