"""Catching up: the warnings of open offers and assessments that no trigger asked for.

`notifications.triggers` asks for an offer's expiry warning (`placement.offer`) and an assessment's deadline
warning (`assessment.open`) in the transaction that makes them. Offers and assessments that existed before
notifications did (a database upgraded to migration 0010), or that were written without those mutations,
have none. `scan` finds them and asks for the same jobs, at the same times (at once where that time has
passed): the `notifications.catch_up` job runs it at every start and hourly.

Each is warned once: an offer or assessment is left alone if its job was ever asked for (an outbox row of
that job and key, whatever its status; done rows are kept 8 days) or its notification exists. Only what can
still be warned about is scanned: offers still open and not expired, assessments still waiting to start
(`contacted`) whose deadline is today or later (a deadline already missed is the worklist's, not a warning's).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from notifications import rules
from notifications.models import Notification
from notifications.triggers import ask_deadline_warning, ask_offer_warning, assessment_job_key, offer_job_key
from server.assessments.deadlines import deadline_warning_at
from server.assessments.models import Assessment
from server.clock import today_in_finland
from server.jobs.models import OutboxRow
from server.queue.models import Offer

CHUNK = 500  # keys per IN (...): well below every engine's limit on bound parameters


async def scan(session: AsyncSession, now: datetime) -> dict[str, int]:
    """Ask for the missing warnings, in the caller's (write) transaction; returns how many of each."""
    offers = (
        await session.execute(
            select(Offer.id, Offer.expires_at).where(Offer.status == "open", Offer.expires_at > now)
        )
    ).all()
    missing_offers = await _not_asked(
        session,
        "notifications.offer_expiring",
        {offer_id: (offer_job_key(offer_id), rules.offer_key(offer_id)) for offer_id, _ in offers},
    )
    for offer_id, expires_at in offers:
        if offer_id in missing_offers:
            await ask_offer_warning(session, offer_id, rules.offer_warning_at(expires_at, now))
    assessments = (
        await session.execute(
            select(Assessment.id, Assessment.deadline, Assessment.created_at).where(
                Assessment.status == "contacted", Assessment.deadline >= today_in_finland(now)
            )
        )
    ).all()
    missing_assessments = await _not_asked(
        session,
        "notifications.deadline_at_risk",
        {
            a_id: (assessment_job_key(a_id), rules.deadline_key(a_id, deadline))
            for a_id, deadline, _ in assessments
        },
    )
    for a_id, deadline, opened_at in assessments:
        if a_id in missing_assessments:
            # When it would have been asked for when opened; at once if that has passed.
            await ask_deadline_warning(session, a_id, max(deadline_warning_at(deadline, opened_at), now))
    return {"offer_expiring": len(missing_offers), "deadline_at_risk": len(missing_assessments)}


async def _not_asked(
    session: AsyncSession, job: str, keys: dict[uuid.UUID, tuple[str, str]]
) -> set[uuid.UUID]:
    """Of `keys` (id → its job key, its notification key): the ids with neither an outbox row nor a
    notification."""
    asked: set[str] = set()
    made: set[str] = set()
    for chunk in _chunks(list(keys.values())):
        job_keys, notification_keys = [k for k, _ in chunk], [n for _, n in chunk]
        asked.update(
            await session.scalars(
                select(OutboxRow.key).where(OutboxRow.job == job, OutboxRow.key.in_(job_keys))
            )
        )
        made.update(
            await session.scalars(select(Notification.key).where(Notification.key.in_(notification_keys)))
        )
    return {i for i, (job_key, key) in keys.items() if job_key not in asked and key not in made}


def _chunks(items: list[tuple[str, str]]) -> Iterable[list[tuple[str, str]]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]
