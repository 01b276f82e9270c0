"""The reference sync client: what the PWA does, in Python (tests, load generator, simulator).

How sync works
==============

**Mutations, not rows.** The app changes data only by calling :meth:`Replica.mutate` with a named,
versioned mutation (``"attendance.check_in"``, args). The mutation goes into the **outbox** with the next
``seq`` (1, 2, 3… per client, never reused) and a UUID, and its *local mutator* applies it to the local view
at once, so the app never waits for the network.

**Push.** :meth:`Replica.push` sends the outbox in ``seq`` order, in batches (≤ 500 mutations, ≤ 1 MiB).
The server re-runs each mutation against its own state, in its own order, and answers an outcome per
mutation: *applied*, *rejected* (permanent: nothing changed, the user is told) or *conflict* (a person
decides). Pushing twice is harmless: the server recognises ``seq`` it has seen and answers the stored
outcome.

**Pull.** :meth:`Replica.pull` asks for every change in the client's scopes after the last **cookie**.
The answer replaces local copies of records (``put``, ``del``, ``purge``), gives the client's ``last_seq``
(the last mutation the server has processed), the outcomes of mutations that were not applied, and a
new cookie, and is stored in one transaction: a cookie is never saved without the data it covers. A first
sync (no cookie) comes as a snapshot in pages; an interrupted one resumes from the last stored page.

**Rebase.** The local view is server state with the still-pending mutations re-applied on top (see
:mod:`sync_protocol.client.view`). A mutation leaves the outbox when its outcome is known *and* its effects
are in the pulled server state: rejected ones at once, applied ones with the pull whose ``last_seq``
covers them. So the view never flickers: an optimistic effect is replaced by the server's version of it.

**Trust but verify.** The last page of a pull carries a count and checksum per scope. A scope whose local
copy disagrees is asked for again (``resync_scopes``) and re-sent whole, nothing else.

Errors follow ``SYNC_PROTOCOL.md`` §7; the outbox survives every error except a device revocation, which
erases the store.
"""

from __future__ import annotations

import asyncio
import random as _random
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from sync_protocol import PROTOCOL_VERSION, codec
from sync_protocol.client.auth import Credentials
from sync_protocol.client.errors import (
    DeviceRevoked,
    PayloadTooLarge,
    ProtocolViolation,
    SeqReused,
    SyncError,
)
from sync_protocol.client.store import HeldOutcome, PendingMutation, Store
from sync_protocol.client.transport import RetryPolicy, Transport
from sync_protocol.client.view import Mutator, OptimisticView
from sync_protocol.errors import SEQ_GAP, SEQ_REUSED, SIGN_IN_REQUIRED
from sync_protocol.messages import (
    MAX_PUSH_BYTES,
    MAX_PUSH_MUTATIONS,
    PULL_PATH,
    PUSH_PATH,
    Health,
    MutationResult,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
)

__all__ = ["PullReport", "PushReport", "Replica", "SyncReport"]

_PUSH_OVERHEAD = 1024  # bytes of a push body besides its mutations (generous)
_MAX_SEQ_GAPS = 3


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class PushReport:
    sent: int = 0
    applied: int = 0
    rejected: int = 0
    conflicts: int = 0
    splits: int = 0
    gaps: int = 0
    stopped: str | None = None
    """Why pushing is stopped for this client (``seq_reused``), if it is."""


@dataclass
class PullReport:
    pages: int = 0
    ops: int = 0
    reset: bool = False
    mismatched: list[str] = field(default_factory=list)
    """Scopes whose checksum still disagreed after the pull (asked again on the next one)."""


@dataclass
class SyncReport:
    push: PushReport
    pull: PullReport


class Replica:
    """One client (one local store) talking to one server.

    ``http`` is used as given (its ``base_url`` must point at the server) or created from ``base_url`` and
    closed by :meth:`aclose`. ``mutators`` maps mutation names to local mutators for optimistic apply.
    """

    def __init__(
        self,
        store: Store,
        credentials: Credentials,
        *,
        base_url: str | None = None,
        http: httpx.AsyncClient | None = None,
        mutators: Mapping[str, Mutator] | None = None,
        app_build: str = "kaari-python",
        schema_version: int = 1,
        encoding: str = codec.JSON,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        random: Callable[[], float] = _random.random,
        now: Callable[[], datetime] = _utc_now,
        storage_quota: int | None = None,
    ) -> None:
        if http is None and base_url is None:
            raise ValueError("pass base_url or an httpx.AsyncClient")
        self._owns_http = http is None
        self.http = http or httpx.AsyncClient(base_url=base_url or "", timeout=30.0)
        self.store = store
        self.credentials = credentials
        self.view = OptimisticView(store, mutators)
        self.view.rebuild()
        self.transport = Transport(
            self.http, credentials, encoding=encoding, retry=retry, sleep=sleep, random=random
        )
        self.app_build = app_build
        self.schema_version = schema_version
        self.storage_quota = storage_quota
        self._now = now
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> Replica:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_http:
            await self.http.aclose()

    @property
    def client_id(self) -> uuid.UUID:
        return self.store.client_id

    # --- local -------------------------------------------------------------------------------------------

    async def mutate(
        self, name: str, args: Any, *, version: int = 1, base_version: int | None = None
    ) -> PendingMutation:
        """Queue a mutation and apply it to the local view.

        ``args`` (a dict or a Struct) are stored as JSON-ready values (times keep their offset). If the
        local mutator raises, nothing is queued and the exception propagates.
        """
        wire_args = codec.to_wire(args)
        if not isinstance(wire_args, dict):
            raise TypeError(f"mutation args must be an object, got {type(args).__name__}")
        now = self._now()
        draft = PendingMutation(
            seq=1, id=uuid.uuid4(), name=name, version=version, args=wire_args, client_time=now
        )
        if len(codec.encode(draft.envelope(), self.transport.encoding)) + _PUSH_OVERHEAD > MAX_PUSH_BYTES:
            raise ValueError(f"{name}: arguments too large for one push ({MAX_PUSH_BYTES} bytes)")
        writes = self.view.stage(name, wire_args)
        mutation = self.store.enqueue(
            name, version, wire_args, client_time=now, base_version=base_version, mutation_id=draft.id
        )
        self.view.commit(writes)
        return mutation

    def outcomes(self) -> list[HeldOutcome]:
        """Rejections and conflicts to show the user, until dismissed."""
        return self.store.held_outcomes()

    def dismiss(self, outcome_id: uuid.UUID) -> None:
        self.store.dismiss(outcome_id)

    def health(self) -> Health:
        state = self.store.state()
        depth, oldest = self.store.outbox_stats()
        return Health(
            outbox_depth=depth,
            oldest_pending_at=oldest,
            app_build=self.app_build,
            last_error=state.push_stopped or state.last_error,
            storage_used=self.store.storage_used(),
            storage_quota=self.storage_quota,
        )

    # --- network -----------------------------------------------------------------------------------------

    async def sync(self) -> SyncReport:
        """Push, then pull."""
        return SyncReport(push=await self.push(), pull=await self.pull())

    async def push(self) -> PushReport:
        """Send the outbox until it is empty, a ``seq_gap`` cannot be repaired, or an error stops us."""
        async with self._lock:
            return await self._push()

    async def pull(self) -> PullReport:
        """Pull until ``has_more`` is false, then verify scope checksums (one immediate resync round)."""
        async with self._lock:
            return await self._pull()

    async def _call(self, path: str, body: Any, response_type: type[Any]) -> Any:
        try:
            return await self.transport.post(path, body, response_type)
        except DeviceRevoked as exc:
            if exc.details.get("wipe", True):
                self.store.wipe()
                self.view.rebuild()
            raise
        except SeqReused:
            self.store.stop_pushing(SEQ_REUSED)
            raise
        except SyncError as exc:
            self.store.set_last_error(exc.code or type(exc).__name__)
            raise

    def _next_batch(self, max_count: int) -> list[PendingMutation]:
        batch: list[PendingMutation] = []
        size = _PUSH_OVERHEAD
        for mutation in self.store.unacknowledged(limit=max_count):
            size += len(codec.encode(mutation.envelope(), self.transport.encoding)) + 1
            if batch and size > MAX_PUSH_BYTES:
                break
            batch.append(mutation)
        return batch

    async def _push(self) -> PushReport:
        report = PushReport()
        state = self.store.state()
        if state.push_stopped:
            report.stopped = state.push_stopped
            return report
        max_count = MAX_PUSH_MUTATIONS
        while batch := self._next_batch(max_count):
            self.store.mark_sent(m.seq for m in batch)
            request = PushRequest(
                protocol=PROTOCOL_VERSION,
                client_id=state.client_id,
                app_build=self.app_build,
                schema_version=self.schema_version,
                mutations=[m.envelope() for m in batch],
            )
            try:
                response: PushResponse = await self._call(PUSH_PATH, request, PushResponse)
            except PayloadTooLarge:
                if len(batch) == 1:
                    raise
                max_count = len(batch) // 2
                report.splits += 1
                continue
            report.sent += len(batch)
            self._count(report, response.results)
            self.store.settle_push(response.results)
            if any(r.status == "rejected" for r in response.results):
                self.view.rebuild()  # the effects of rejected mutations disappear
            if response.error is not None and response.error.code == SEQ_GAP:
                report.gaps += 1
                if report.gaps > _MAX_SEQ_GAPS or response.error.expected_seq is None:
                    raise ProtocolViolation(f"unrepairable seq_gap: {response.error}")
                self.store.requeue_from(response.error.expected_seq)
                self.store.set_last_error(SEQ_GAP)
                continue
            if response.error is not None and response.error.code == SIGN_IN_REQUIRED:
                # What the device credential may send is sent; the rest waits for its user's sign-in.
                self.store.set_last_error(SIGN_IN_REQUIRED)
                report.stopped = SIGN_IN_REQUIRED
                return report
            if response.error is not None:
                raise ProtocolViolation(f"unknown push error {response.error.code!r}")
            if not response.results:
                raise ProtocolViolation("push answered no results for a non-empty batch")
        return report

    @staticmethod
    def _count(report: PushReport, results: list[MutationResult]) -> None:
        for result in results:
            if result.status == "applied":
                report.applied += 1
            elif result.status == "rejected":
                report.rejected += 1
            else:
                report.conflicts += 1

    async def _pull(self) -> PullReport:
        report = PullReport()
        resynced = False
        while True:
            state = self.store.state()
            request = PullRequest(
                protocol=PROTOCOL_VERSION,
                client_id=state.client_id,
                cookie=state.cookie,
                schema_version=self.schema_version,
                resync_scopes=list(state.resync_scopes),
                health=self.health(),
            )
            page: PullResponse = await self._call(PULL_PATH, request, PullResponse)
            mismatched = self.store.apply_page(page, sent_resync=state.resync_scopes)
            self.view.rebuild()
            report.pages += 1
            report.ops += len(page.ops)
            report.reset = report.reset or page.reset
            if page.has_more:
                continue
            report.mismatched = mismatched
            if mismatched and not resynced:
                resynced = True
                continue
            break
        if self.store.state().last_error:
            self.store.set_last_error(None)  # reported with this pull's health; now cleared
        return report
