"""PTA mutations: the process from contact to service start, and RAI results.

| mutation | from → to | notes |
|---|---|---|
| `assessment.open` | → `contacted` | from a contact (optionally its `contact_id`); the server computes rule and deadline |
| `assessment.assign` | (any open) | another responsible counsellor |
| `assessment.start` | `contacted` → `started` | `started_on`: the day the assessment began (on time if ≤ deadline) |
| `rai.record` | — | a RAI result; `lock: true` locks it (never changes again); a draft may be sent again |
| `rai.lock` | — | locks a draft |
| `assessment.decide` | `started` → `decided` | `regular: true` needs a locked full RAI of this process (`rai_required`); a granted placeable service creates the referral and queue entry (`referral.create`'s handler) |
| `assessment.start_service` | `decided` (granted) → `service_started` | |
| `assessment.close` | any open → `closed` | with a reason |

Who: counsellors of the process's area (`area:{area_id}`), or its responsible counsellor. Every step is
written to `assessment_steps` (who, from, to, day) and to the access log. A step sent again with the same
content is a no-op; a step that disagrees with the current state is rejected `invalid_state` with the
current values, so an offline device learns what happened instead of losing its change silently.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec
from sqlalchemy import select

from server import signals
from server.access_log.service import Access
from server.accounts.models import RoleAssignment
from server.accounts.scopes import area_scope, user_scope
from server.assessments.deadlines import age_on, deadline_for, deadline_warning_at, rule_for
from server.assessments.jobs import ask_deadline_task
from server.assessments.models import (
    INSTRUMENTS,
    OPEN_STATUSES,
    Assessment,
    AssessmentStep,
    RaiAssessment,
    referral_id_for,
)
from server.assessments.sync import publish_assessment, publish_rai
from server.clients.models import Client
from server.clients.mutations import allowed_scopes, basis, municipality_area
from server.clients.record_mutations import Service
from server.clock import date_in_finland, today_in_finland
from server.contacts.models import Contact
from server.queue.mutations import CreateReferral, create_referral
from server.reference.models import Area, CodeList
from server.sync import authorisation as auth
from server.sync.mutations import MutationContext, mutation

AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]
Note = Annotated[str, msgspec.Meta(max_length=500)]
Score = Annotated[int, msgspec.Meta(ge=0, le=48)]
CloseReason = Literal["no_need", "declined_by_client", "moved_away", "deceased", "duplicate", "other"]
Instrument = Literal["RAI-HC", "RAI-LTC", "interRAI-HC", "interRAI-LTCF", "interRAI-CA", "interRAI-ID"]
assert set(INSTRUMENTS) == set(Instrument.__args__)  # type: ignore[attr-defined]


class OpenAssessment(msgspec.Struct, forbid_unknown_fields=True):
    assessment_id: uuid.UUID
    client_id: uuid.UUID
    contacted_at: AwareDatetime
    urgent: bool = False
    contact_id: uuid.UUID | None = None
    area_id: uuid.UUID | None = None
    """Default: the area of the client's municipality."""
    counsellor_id: uuid.UUID | None = None
    """Default: the author."""


class AssignAssessment(msgspec.Struct, forbid_unknown_fields=True):
    assessment_id: uuid.UUID
    counsellor_id: uuid.UUID


class StartAssessment(msgspec.Struct, forbid_unknown_fields=True):
    assessment_id: uuid.UUID
    started_on: date
    note: Note | None = None


class RecordRai(msgspec.Struct, forbid_unknown_fields=True):
    rai_id: uuid.UUID
    client_id: uuid.UUID
    assessed_on: date
    instrument: Instrument
    full: bool
    assessment_id: uuid.UUID | None = None
    maple: Annotated[int, msgspec.Meta(ge=1, le=5)] | None = None
    cps: Annotated[int, msgspec.Meta(ge=0, le=6)] | None = None
    adl_h: Annotated[int, msgspec.Meta(ge=0, le=6)] | None = None
    iadl_ch: Annotated[int, msgspec.Meta(ge=0, le=6)] | None = None
    chess: Annotated[int, msgspec.Meta(ge=0, le=5)] | None = None
    drs: Annotated[int, msgspec.Meta(ge=0, le=14)] | None = None
    scores: Annotated[
        dict[Annotated[str, msgspec.Meta(max_length=32)], Score], msgspec.Meta(max_length=30)
    ] = {}
    lock: bool = False


class LockRai(msgspec.Struct, forbid_unknown_fields=True):
    rai_id: uuid.UUID


class DecideAssessment(msgspec.Struct, forbid_unknown_fields=True):
    assessment_id: uuid.UUID
    decision: Literal["granted", "refused"]
    decided_on: date
    service_kind: Service | None = None
    regular: bool = True
    """A decision on regular services: needs a locked full RAI assessment of this process."""
    note: Note | None = None


class StartService(msgspec.Struct, forbid_unknown_fields=True):
    assessment_id: uuid.UUID
    started_on: date


class CloseAssessment(msgspec.Struct, forbid_unknown_fields=True):
    assessment_id: uuid.UUID
    closed_on: date
    reason: CloseReason
    note: Note | None = None


# --- helpers --------------------------------------------------------------------------------------------


async def _require_counsellor(ctx: MutationContext, user_id: uuid.UUID) -> None:
    found = (
        await ctx.session.execute(
            select(RoleAssignment.id).where(
                RoleAssignment.user_id == user_id, RoleAssignment.role == "counsellor"
            )
        )
    ).first()
    if found is None:
        ctx.reject("unknown_entity", "No such counsellor.", {"counsellor_id": str(user_id)})


def _held(row: Assessment) -> set[str]:
    return {area_scope(row.area_id), user_scope(row.counsellor_id)}


async def _load(ctx: MutationContext, assessment_id: uuid.UUID) -> Assessment:
    row = await ctx.session.get(Assessment, assessment_id, with_for_update=True)
    if row is None:
        ctx.reject("unknown_entity", "No such assessment.", {"assessment_id": str(assessment_id)})
    if not _held(row) & ctx.scopes:
        ctx.reject(
            "forbidden", "Only counsellors of the area or the responsible counsellor move this process."
        )
    return row


async def _log(
    ctx: MutationContext, row: Assessment, record_type: str, record_id: uuid.UUID, op: str
) -> None:
    client = await ctx.session.get(Client, row.client_id)
    assert client is not None
    role, why = await basis(ctx, client, _held(row))
    await ctx.log_access(role, [Access(record_type, op, why, client_id=client.id, record_id=str(record_id))])


async def _step(
    ctx: MutationContext, row: Assessment, to: str, on: date, note: str | None = None, op: str = "update"
) -> None:
    ctx.session.add(
        AssessmentStep(
            assessment_id=row.id,
            from_status=None if op == "create" else row.status,
            to_status=to,
            on=on,
            at=ctx.now,
            by=ctx.user_id,
            mutation_id=ctx.envelope.id if ctx.envelope else None,
            note=note,
        )
    )
    row.status = to
    row.updated_at = ctx.now
    await ctx.session.flush()
    publish_assessment(ctx.changes, row)
    await _log(ctx, row, "assessment", row.id, op)


def _state_error(ctx: MutationContext, row: Assessment, message: str) -> None:
    ctx.reject(
        "invalid_state",
        message,
        {
            "status": row.status,
            "started_on": str(row.started_on) if row.started_on else None,
            "decided_on": str(row.decided_on) if row.decided_on else None,
            "decision": row.decision,
        },
    )


def _not_future(ctx: MutationContext, day: date, name: str) -> None:
    if day > today_in_finland(ctx.now):
        ctx.reject("invalid_date", f"`{name}` cannot be in the future.", {name: str(day)})


# --- the process ---------------------------------------------------------------------------------------


@mutation(
    "assessment.open",
    args=OpenAssessment,
    touches=lambda a: (auth.Client(a.client_id), auth.ClientOf("contact", a.contact_id)),
)
async def open_assessment(ctx: MutationContext, args: OpenAssessment) -> dict:
    """Open a PTA process from a contact; the server computes the statutory rule and deadline."""
    client = await ctx.session.get(Client, args.client_id)
    if client is None:
        ctx.reject("unknown_entity", "No such client.", {"client_id": str(args.client_id)})
    area_id = args.area_id or await municipality_area(ctx, client.municipality_id)
    if await ctx.session.get(Area, area_id) is None:
        ctx.reject("unknown_entity", "No such area.", {"area_id": str(area_id)})
    ctx.require_scope(area_scope(area_id))
    counsellor_id = args.counsellor_id or ctx.user_id
    await _require_counsellor(ctx, counsellor_id)
    if args.contact_id is not None:
        contact = await ctx.session.get(Contact, args.contact_id)
        if contact is None:
            ctx.reject("unknown_entity", "No such contact.", {"contact_id": str(args.contact_id)})
        if contact.client_id is not None and contact.client_id != client.id:
            ctx.reject("invalid_args", "The contact is about another client.")
    if args.contacted_at > ctx.now:
        ctx.reject("invalid_date", "The contact cannot be in the future.")
    existing = await ctx.session.get(Assessment, args.assessment_id)
    if existing is not None:
        same = (existing.client_id, existing.contacted_at, existing.urgent, existing.contact_id) == (
            args.client_id,
            args.contacted_at,
            args.urgent,
            args.contact_id,
        )
        if not same:
            ctx.reject("duplicate", "An assessment with this id already exists with other content.")
        return {
            "assessment_id": str(existing.id),
            "deadline": str(existing.deadline) if existing.deadline else None,
        }
    contact_on = date_in_finland(args.contacted_at)
    age = age_on(client.birth_date, contact_on)
    rule = rule_for(args.urgent, age)
    row = Assessment(
        id=args.assessment_id,
        client_id=client.id,
        area_id=area_id,
        counsellor_id=counsellor_id,
        contact_id=args.contact_id,
        contacted_at=args.contacted_at,
        contact_on=contact_on,
        urgent=args.urgent,
        age_at_contact=age,
        rule=rule,
        deadline=deadline_for(contact_on, rule),
        status="contacted",
        created_at=ctx.now,
        created_by=ctx.user_id,
        updated_at=ctx.now,
    )
    ctx.session.add(row)
    await ctx.session.flush()
    await _step(ctx, row, "contacted", contact_on, op="create")
    await signals.publish(ctx.session, signals.AssessmentOpened(row.id, row.deadline), ctx.now)
    if row.deadline is not None:  # the counsellor's task, when the deadline warning is due
        await ask_deadline_task(ctx.session, row.id, deadline_warning_at(row.deadline, ctx.now))
    return {
        "assessment_id": str(row.id),
        "rule": rule,
        "deadline": str(row.deadline) if row.deadline else None,
    }


@mutation(
    "assessment.assign",
    args=AssignAssessment,
    touches=lambda a: (auth.ClientOf("assessment", a.assessment_id),),
)
async def assign(ctx: MutationContext, args: AssignAssessment) -> dict:
    """Hand the process to another responsible counsellor."""
    row = await _load(ctx, args.assessment_id)
    await _require_counsellor(ctx, args.counsellor_id)
    if row.status not in OPEN_STATUSES:
        _state_error(ctx, row, "Only an open process can be handed over.")
    if row.counsellor_id != args.counsellor_id:
        row.counsellor_id = args.counsellor_id
        await _step(ctx, row, row.status, today_in_finland(ctx.now), note="assigned")
    return {"assessment_id": str(row.id), "counsellor_id": str(row.counsellor_id)}


@mutation(
    "assessment.start",
    args=StartAssessment,
    touches=lambda a: (auth.ClientOf("assessment", a.assessment_id),),
)
async def start(ctx: MutationContext, args: StartAssessment) -> dict:
    """The assessment began on `started_on` (a home visit, an interview): on time if by the deadline."""
    row = await _load(ctx, args.assessment_id)
    if row.status != "contacted":
        if row.started_on == args.started_on:
            return {"assessment_id": str(row.id), "on_time": _on_time(row)}
        _state_error(ctx, row, "The assessment has already started or the process has moved on.")
    _not_future(ctx, args.started_on, "started_on")
    if args.started_on < row.contact_on:
        ctx.reject("invalid_date", "The assessment cannot start before the contact.")
    row.started_on = args.started_on
    await _step(ctx, row, "started", args.started_on, args.note)
    return {"assessment_id": str(row.id), "on_time": _on_time(row)}


def _on_time(row: Assessment) -> bool | None:
    if row.deadline is None or row.started_on is None:
        return None
    return row.started_on <= row.deadline


RAI_FIELDS = ("client_id", "assessment_id", "assessed_on", "instrument", "full", "maple", "cps", "adl_h")
RAI_SCALES = ("iadl_ch", "chess", "drs", "scores")


@mutation("rai.record", args=RecordRai, touches=lambda a: (auth.Client(a.client_id),))
async def record_rai(ctx: MutationContext, args: RecordRai) -> dict:
    """Record a RAI result (a draft may be recorded again); `lock: true` locks it for good."""
    if args.assessment_id is not None:
        parent = await _load(ctx, args.assessment_id)
        if parent.client_id != args.client_id:
            ctx.reject("invalid_args", "The assessment is about another client.")
    else:
        client = await ctx.session.get(Client, args.client_id)
        if client is None:
            ctx.reject("unknown_entity", "No such client.", {"client_id": str(args.client_id)})
        if not await allowed_scopes(ctx, client) & ctx.scopes:
            ctx.reject("forbidden", "You have no basis to change this client's data.")
        ctx.require_role("counsellor")
    _not_future(ctx, args.assessed_on, "assessed_on")
    values = {name: getattr(args, name) for name in RAI_FIELDS + RAI_SCALES}
    values["scores"] = dict(args.scores)
    row = await ctx.session.get(RaiAssessment, args.rai_id, with_for_update=True)
    if row is not None and row.locked_at is not None:
        if all(getattr(row, k) == v for k, v in values.items()):
            return {"rai_id": str(row.id), "locked": True}
        ctx.reject(
            "assessment_locked",
            "A locked RAI assessment never changes.",
            {"locked_at": row.locked_at.isoformat()},
        )
    if row is not None and (row.client_id, row.assessment_id) != (args.client_id, args.assessment_id):
        ctx.reject("duplicate", "A RAI assessment with this id belongs to another client or process.")
    op = "update" if row is not None else "create"
    if row is None:
        row = RaiAssessment(id=args.rai_id, assessor_id=ctx.user_id, created_at=ctx.now, **values)
        ctx.session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    if args.lock:
        row.locked_at, row.locked_by = ctx.now, ctx.user_id
    await ctx.session.flush()
    await _publish_rai_and_log(ctx, row, op)
    return {"rai_id": str(row.id), "locked": row.locked_at is not None}


async def _publish_rai_and_log(ctx: MutationContext, row: RaiAssessment, op: str) -> None:
    await publish_rai(ctx.session, ctx.changes, row)
    client = await ctx.session.get(Client, row.client_id)
    assert client is not None
    held = set(ctx.scopes)
    if row.assessment_id is not None:
        parent = await ctx.session.get(Assessment, row.assessment_id)
        assert parent is not None
        held = _held(parent)
    role, why = await basis(ctx, client, held)
    await ctx.log_access(
        role, [Access("rai_assessment", op, why, client_id=client.id, record_id=str(row.id))]
    )


@mutation("rai.lock", args=LockRai, touches=lambda a: (auth.ClientOf("rai", a.rai_id),))
async def lock_rai(ctx: MutationContext, args: LockRai) -> dict:
    """Lock a draft RAI result: from now on it never changes."""
    row = await ctx.session.get(RaiAssessment, args.rai_id, with_for_update=True)
    if row is None:
        ctx.reject("unknown_entity", "No such RAI assessment.", {"rai_id": str(args.rai_id)})
    if row.assessment_id is not None:
        await _load(ctx, row.assessment_id)
    else:
        client = await ctx.session.get(Client, row.client_id)
        if client is None or not await allowed_scopes(ctx, client) & ctx.scopes:
            ctx.reject("forbidden", "You have no basis to change this client's data.")
    if row.locked_at is None:
        row.locked_at, row.locked_by = ctx.now, ctx.user_id
        await ctx.session.flush()
        await _publish_rai_and_log(ctx, row, "lock")
    return {"rai_id": str(row.id), "locked_at": row.locked_at.isoformat()}


async def locked_full_rai(ctx: MutationContext, row: Assessment, on: date) -> RaiAssessment | None:
    """The latest locked full RAI assessment made for this process by `on`."""
    return (
        await ctx.session.execute(
            select(RaiAssessment)
            .where(
                RaiAssessment.assessment_id == row.id,
                RaiAssessment.full.is_(True),
                RaiAssessment.locked_at.is_not(None),
                RaiAssessment.assessed_on <= on,
            )
            .order_by(RaiAssessment.assessed_on.desc(), RaiAssessment.id)
            .limit(1)
        )
    ).scalar_one_or_none()


async def _placeable(ctx: MutationContext, service_kind: str) -> bool:
    """Whether the places side queues this service (an active `referral.service_kind`)."""
    codes = await ctx.session.get(CodeList, "referral.service_kind")
    return codes is not None and service_kind in codes.active_codes()


@mutation(
    "assessment.decide",
    args=DecideAssessment,
    touches=lambda a: (auth.ClientOf("assessment", a.assessment_id),),
)
async def decide(ctx: MutationContext, args: DecideAssessment) -> dict:
    """Record the service decision. Regular services need a locked full RAI (`rai_required`); a granted
    placeable service refers the client to the queue (`referral.create`)."""
    row = await _load(ctx, args.assessment_id)
    if row.status != "started":
        if (row.decision, row.decided_on, row.service_kind) == (
            args.decision,
            args.decided_on,
            args.service_kind,
        ):
            return _decision_result(row)
        _state_error(ctx, row, "Only a started assessment can be decided.")
    _not_future(ctx, args.decided_on, "decided_on")
    if row.started_on is not None and args.decided_on < row.started_on:
        ctx.reject("invalid_date", "A decision cannot precede the assessment's start.")
    if args.decision == "granted" and args.service_kind is None:
        ctx.reject("invalid_args", "A granted decision names its `service_kind`.")
    rai = await locked_full_rai(ctx, row, args.decided_on) if args.regular else None
    if args.regular and rai is None:
        ctx.reject(
            "rai_required",
            "A decision on regular services needs a locked full RAI assessment of this process.",
            {"assessment_id": str(row.id)},
        )
    row.decision, row.decided_on = args.decision, args.decided_on
    row.service_kind, row.regular = args.service_kind, args.regular
    row.rai_id = rai.id if rai is not None else None
    if args.decision == "granted" and args.service_kind and await _placeable(ctx, args.service_kind):
        referral = CreateReferral(
            referral_id=referral_id_for(row.id),
            client_id=row.client_id,
            service_kind=args.service_kind,
            area_id=row.area_id,
            urgency="urgent" if row.urgent else "normal",
            received_at=ctx.now,
            source="counsellor",
            maple=rai.maple if rai else None,
            cps=rai.cps if rai else None,
            adl_h=rai.adl_h if rai else None,
        )
        await create_referral(ctx, referral)
        row.referral_id = referral.referral_id
    await _step(ctx, row, "decided", args.decided_on, args.note)
    return _decision_result(row)


def _decision_result(row: Assessment) -> dict[str, Any]:
    return {
        "assessment_id": str(row.id),
        "decision": row.decision,
        "referral_id": str(row.referral_id) if row.referral_id else None,
    }


@mutation(
    "assessment.start_service",
    args=StartService,
    touches=lambda a: (auth.ClientOf("assessment", a.assessment_id),),
)
async def start_service(ctx: MutationContext, args: StartService) -> dict:
    """The granted service began on `started_on`: the process has moved into the service."""
    row = await _load(ctx, args.assessment_id)
    if row.status != "decided" or row.decision != "granted":
        if row.service_started_on == args.started_on:
            return {"assessment_id": str(row.id), "status": row.status}
        _state_error(ctx, row, "Only a granted decision can start a service.")
    assert row.decided_on is not None
    if args.started_on < row.decided_on:
        ctx.reject("invalid_date", "A service cannot start before its decision.")
    _not_future(ctx, args.started_on, "started_on")
    row.service_started_on = args.started_on
    await _step(ctx, row, "service_started", args.started_on)
    return {"assessment_id": str(row.id), "status": row.status}


@mutation(
    "assessment.close",
    args=CloseAssessment,
    touches=lambda a: (auth.ClientOf("assessment", a.assessment_id),),
)
async def close(ctx: MutationContext, args: CloseAssessment) -> dict:
    """End an open process without (further) service: no need, declined, moved away, …"""
    row = await _load(ctx, args.assessment_id)
    if row.status not in OPEN_STATUSES:
        if (row.closed_on, row.close_reason) == (args.closed_on, args.reason):
            return {"assessment_id": str(row.id), "status": row.status}
        _state_error(ctx, row, "The process has already ended.")
    if args.closed_on < row.contact_on:
        ctx.reject("invalid_date", "A process cannot close before its contact.")
    row.closed_on, row.close_reason = args.closed_on, args.reason
    await _step(ctx, row, "closed", args.closed_on, args.note)
    return {"assessment_id": str(row.id), "status": row.status}
