"""The service-needs assessment (PTA) process, its steps, and RAI results.

- `Assessment` — one PTA process of one client, from the contact that asked for it to the service start:
  `status` `contacted` → `started` → `decided` → `service_started`, or `closed` from any open state. The
  statutory clock (`rule`, `deadline`) is computed by the server when the process opens
  (`server.assessments.deadlines`); `counsellor_id` is the counsellor responsible.
- `AssessmentStep` — who moved the process from which state to which, on what day (append-only).
- `RaiAssessment` — a RAI/interRAI result: date, instrument, full or screening, MAPLe, CPS, ADL-H and other
  scales. A draft may be recorded again; once `locked_at` is set it never changes. A decision on regular
  services needs a locked full assessment made for the process (the RAI gate).

Field policies (protocol §6) are declared here. The state, its dates and the deadline are `server`: the
server moves the state machine, and a move that disagrees with the current state is rejected with the
current values (`invalid_state`), so nobody's offline change disappears silently. RAI scores are `lww`
while the result is a draft; a locked result is refused any change (`assessment_locked`).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, new_id, utcnow
from sync_protocol.policies import Policy, record_policies

STATUSES = ("contacted", "started", "decided", "service_started", "closed")
OPEN_STATUSES = ("contacted", "started", "decided")
RULES = ("urgent", "age_75", "none")
INSTRUMENTS = ("RAI-HC", "RAI-LTC", "interRAI-HC", "interRAI-LTCF", "interRAI-CA", "interRAI-ID")
REFERRAL_NAMESPACE = uuid.UUID("c4a3d1e2-7b5f-5a60-9c1d-2e4f6a8b0c35")

ASSESSMENT_FIELDS = (
    "id",
    "client_id",
    "area_id",
    "counsellor_id",
    "contact_id",
    "contacted_at",
    "contact_on",
    "urgent",
    "age_at_contact",
    "rule",
    "deadline",
    "status",
    "started_on",
    "decided_on",
    "decision",
    "service_kind",
    "regular",
    "rai_id",
    "referral_id",
    "service_started_on",
    "closed_on",
    "close_reason",
)
"""The fields devices see (`server.assessments.sync`); every one is `server`."""
ASSESSMENT_POLICIES = record_policies("assessment", dict.fromkeys(ASSESSMENT_FIELDS, Policy.SERVER))
RAI_POLICIES = record_policies(
    "rai_assessment",
    {
        "assessed_on": Policy.LWW,
        "instrument": Policy.LWW,
        "full": Policy.LWW,
        "maple": Policy.LWW,
        "cps": Policy.LWW,
        "adl_h": Policy.LWW,
        "iadl_ch": Policy.LWW,
        "chess": Policy.LWW,
        "drs": Policy.LWW,
        "scores": Policy.LWW,
        "id": Policy.SERVER,
        "client_id": Policy.SERVER,
        "assessment_id": Policy.SERVER,
        "assessor_id": Policy.SERVER,
        "locked_at": Policy.SERVER,
        "locked_by": Policy.SERVER,
    },
)


def referral_id_for(assessment_id: uuid.UUID | str) -> uuid.UUID:
    """The referral a granted decision creates: deterministic, so a replayed decision names the same one."""
    return uuid.uuid5(REFERRAL_NAMESPACE, f"assessment:{uuid.UUID(str(assessment_id))}")


class Assessment(Base):
    __tablename__ = "assessments"
    __table_args__ = (Index("ix_assessments_area_status", "area_id", "status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    area_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("areas.id"))
    counsellor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id"))
    contacted_at: Mapped[datetime]
    contact_on: Mapped[date]
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    age_at_contact: Mapped[int | None] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(String(16))
    deadline: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(16), default="contacted")
    started_on: Mapped[date | None]
    decided_on: Mapped[date | None]
    decision: Mapped[str | None] = mapped_column(String(16))
    service_kind: Mapped[str | None] = mapped_column(String(40))
    regular: Mapped[bool | None] = mapped_column(Boolean)
    rai_id: Mapped[uuid.UUID | None]
    referral_id: Mapped[uuid.UUID | None]
    service_started_on: Mapped[date | None]
    closed_on: Mapped[date | None]
    close_reason: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AssessmentStep(Base):
    __tablename__ = "assessment_steps"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    assessment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    on: Mapped[date]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    mutation_id: Mapped[uuid.UUID | None]
    note: Mapped[str | None] = mapped_column(String(500))


class RaiAssessment(Base):
    __tablename__ = "rai_assessments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    assessment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    assessed_on: Mapped[date]
    instrument: Mapped[str] = mapped_column(String(24))
    full: Mapped[bool] = mapped_column(Boolean)
    maple: Mapped[int | None] = mapped_column(Integer)
    cps: Mapped[int | None] = mapped_column(Integer)
    adl_h: Mapped[int | None] = mapped_column(Integer)
    iadl_ch: Mapped[int | None] = mapped_column(Integer)
    chess: Mapped[int | None] = mapped_column(Integer)
    drs: Mapped[int | None] = mapped_column(Integer)
    scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    assessor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_at: Mapped[datetime | None]
    locked_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
