"""The client's PTA processes, their steps and RAI results on the 360 view (`server.clients.timeline`)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.assessments.models import Assessment, AssessmentStep, RaiAssessment
from server.clients.timeline import TimelineItem, TimelineSource, details_of, rows_of


async def assessment_items(session: AsyncSession, client_id: uuid.UUID) -> list[TimelineItem]:
    items: list[TimelineItem] = []
    assessments = await rows_of(session, Assessment, client_id)
    for a in assessments:
        items.append(
            TimelineItem(
                a.contact_on,
                "assessment",
                str(a.id),
                f"service-needs assessment: {a.status}",
                details_of(
                    a,
                    (
                        "status",
                        "urgent",
                        "rule",
                        "deadline",
                        "started_on",
                        "decided_on",
                        "decision",
                        "service_kind",
                        "referral_id",
                        "service_started_on",
                        "closed_on",
                        "close_reason",
                        "counsellor_id",
                    ),
                ),
                area_id=a.area_id,
            )
        )
    if assessments:
        steps = (
            await session.execute(
                select(AssessmentStep).where(AssessmentStep.assessment_id.in_([a.id for a in assessments]))
            )
        ).scalars()
        for s in steps:
            items.append(
                TimelineItem(
                    s.on,
                    "assessment_step",
                    str(s.id),
                    f"assessment {s.from_status or 'opened'} → {s.to_status}",
                    details_of(s, ("assessment_id", "from_status", "to_status", "at", "by", "note")),
                )
            )
    for r in await rows_of(session, RaiAssessment, client_id):
        items.append(
            TimelineItem(
                r.assessed_on,
                "rai_assessment",
                str(r.id),
                f"{r.instrument} {'full' if r.full else 'screening'}{' (locked)' if r.locked_at else ''}",
                details_of(r, ("assessment_id", "instrument", "full", "maple", "cps", "adl_h", "locked_at")),
            )
        )
    return items


ASSESSMENTS = TimelineSource("guidance", assessment_items)
