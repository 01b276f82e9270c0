"""Signals: what a domain announces, inside the transaction of the change that causes it.

A domain publishes a signal where something others may care about happened (a place was freed, a referral
arrived); it does not know who listens. The composition root (`server.domains`) subscribes the listeners,
today the notification rules (`notifications.triggers`). A listener runs in the publisher's transaction and
only writes rows (an outbox row for a job, a burst's pending dates), so what it writes commits with the
change or rolls back with it: a rejected mutation's savepoint takes it too.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession


class Signal(msgspec.Struct, frozen=True):
    """Base of every signal."""


class PlacesFreed(Signal, frozen=True):
    """Places of a unit may be free on first..last (None: to the end of the published window)."""

    unit_id: uuid.UUID
    first: date
    last: date | None


class ReferralCreated(Signal, frozen=True):
    referral_id: uuid.UUID


class ApplicationReceived(Signal, frozen=True):
    application_id: uuid.UUID


class OfferMade(Signal, frozen=True):
    offer_id: uuid.UUID
    expires_at: datetime


class AssessmentOpened(Signal, frozen=True):
    """A PTA process opened; `deadline` is its statutory start deadline, if a rule sets one."""

    assessment_id: uuid.UUID
    deadline: date | None


class DeadlineAtRisk(Signal, frozen=True):
    """An assessment's statutory deadline is near and nobody has started it (its task was just opened)."""

    assessment_id: uuid.UUID


class SignedOut(Signal, frozen=True):
    """A user signed out on a device; `queued` is the highest seq each of their replicas there had queued
    (replica id → seq), what the device credential may still flush for them."""

    user_id: uuid.UUID
    device_id: uuid.UUID
    queued: dict[uuid.UUID, int]


Listener = Callable[[AsyncSession, Any, datetime], Awaitable[None]]
_LISTENERS: dict[type[Signal], list[Listener]] = {}


def subscribe(kind: type[Signal], listener: Listener) -> None:
    """Call `listener(session, signal, now)` for every `kind` published from now on (once per listener)."""
    listeners = _LISTENERS.setdefault(kind, [])
    if listener not in listeners:
        listeners.append(listener)


async def publish(session: AsyncSession, signal: Signal, now: datetime) -> None:
    for listener in _LISTENERS.get(type(signal), ()):
        await listener(session, signal, now)
