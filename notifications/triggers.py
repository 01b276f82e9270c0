"""The notification rules' listeners: what the domains' signals (`server.signals`) ask of notifications.

Each listener runs inside the transaction of the change that published the signal and only writes rows (the
burst's pending dates, an outbox row for a `notifications.*` job): they commit with the change or roll back
with it, and the job does the work after the commit. `LISTENERS` is what the composition root subscribes:

- `PlacesFreed`: any places mutation that leaves a date of the next 60 days with more free places than
  before (a cancelled stay, a move-out, a raised capacity, a declined offer, an absence), and an offer that
  expired (`server.queue.jobs.expire_offers`);
- `ReferralCreated` (`referral.create`), `ApplicationReceived` (`application.receive`), `OfferMade`
  (`placement.offer`: a warning 6 h before it expires), `AssessmentOpened` (`assessment.open`: a warning
  before the statutory deadline), `DeadlineAtRisk` (the deadline watcher opened the counsellor's task).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from notifications import bursts, rules
from server import signals
from server.assessments.deadlines import deadline_warning_at
from server.clock import today_in_finland
from server.jobs import outbox
from server.places.capacity import HORIZON_DAYS


class UnitArgs(msgspec.Struct):
    unit_id: uuid.UUID


class RecordArgs(msgspec.Struct):
    id: uuid.UUID


async def places_freed(session: AsyncSession, signal: signals.PlacesFreed, now: datetime) -> None:
    last = signal.last or today_in_finland(now) + timedelta(days=HORIZON_DAYS)
    run_at = await bursts.note_freed(session, signal.unit_id, signal.first, last, now)
    await outbox.add(
        session, "notifications.free_places", str(signal.unit_id), UnitArgs(signal.unit_id), run_at=run_at
    )


async def referral_created(session: AsyncSession, signal: signals.ReferralCreated, now: datetime) -> None:
    referral_id = signal.referral_id
    await outbox.add(session, "notifications.referral", f"referral:{referral_id}", RecordArgs(referral_id))


async def application_received(
    session: AsyncSession, signal: signals.ApplicationReceived, now: datetime
) -> None:
    application_id = signal.application_id
    await outbox.add(
        session, "notifications.application", f"application:{application_id}", RecordArgs(application_id)
    )


def offer_job_key(offer_id: uuid.UUID) -> str:
    return f"offer:{offer_id}"


def assessment_job_key(assessment_id: uuid.UUID) -> str:
    return f"assessment:{assessment_id}"


async def offer_made(session: AsyncSession, signal: signals.OfferMade, now: datetime) -> None:
    await ask_offer_warning(session, signal.offer_id, rules.offer_warning_at(signal.expires_at, now))


async def assessment_opened(session: AsyncSession, signal: signals.AssessmentOpened, now: datetime) -> None:
    """`now`: when it was opened (the warning comes no earlier than two hours after)."""
    if signal.deadline is not None:
        warning_at = deadline_warning_at(signal.deadline, now)
        await ask_deadline_warning(session, signal.assessment_id, warning_at)


async def deadline_at_risk(session: AsyncSession, signal: signals.DeadlineAtRisk, now: datetime) -> None:
    await ask_deadline_warning(session, signal.assessment_id, None)


async def ask_offer_warning(session: AsyncSession, offer_id: uuid.UUID, run_at: datetime) -> None:
    await outbox.add(
        session, "notifications.offer_expiring", offer_job_key(offer_id), RecordArgs(offer_id), run_at=run_at
    )


async def ask_deadline_warning(
    session: AsyncSession, assessment_id: uuid.UUID, run_at: datetime | None
) -> None:
    """`run_at` None: at once."""
    await outbox.add(
        session,
        "notifications.deadline_at_risk",
        assessment_job_key(assessment_id),
        RecordArgs(assessment_id),
        run_at=run_at,
    )


LISTENERS: dict[type[signals.Signal], signals.Listener] = {
    signals.PlacesFreed: places_freed,
    signals.ReferralCreated: referral_created,
    signals.ApplicationReceived: application_received,
    signals.OfferMade: offer_made,
    signals.AssessmentOpened: assessment_opened,
    signals.DeadlineAtRisk: deadline_at_risk,
}
