"""Application mutations: `application.receive|assign|decide|withdraw`.

Who: counsellors of the application's area (`area:{area_id}`), or its handler. Records are published in
`area:{area_id}` and the handler's `user:{id}`; every write goes to the access log with its basis. The same
step sent again is a no-op; a step that disagrees with the current state is `invalid_state`.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

import msgspec
from sqlalchemy import select

from server import signals
from server.access_log.service import Access
from server.accounts.models import RoleAssignment
from server.accounts.scopes import area_scope, user_scope
from server.applications.models import OPEN_STATUSES, Application
from server.assessments.models import Assessment
from server.clients.models import Client
from server.clients.mutations import basis, municipality_area
from server.clients.record_mutations import Service
from server.clock import today_in_finland
from server.reference.models import Area
from server.sync import authorisation as auth
from server.sync.mutations import MutationContext, mutation

Note = Annotated[str, msgspec.Meta(max_length=500)]
Decision = Literal["granted", "partly_granted", "refused"]


class ReceiveApplication(msgspec.Struct, forbid_unknown_fields=True):
    application_id: uuid.UUID
    client_id: uuid.UUID
    service: Service
    received_on: date
    area_id: uuid.UUID | None = None
    """Default: the area of the client's municipality."""
    handler_id: uuid.UUID | None = None
    assessment_id: uuid.UUID | None = None
    note: Note | None = None


class AssignApplication(msgspec.Struct, forbid_unknown_fields=True):
    application_id: uuid.UUID
    handler_id: uuid.UUID


class DecideApplication(msgspec.Struct, forbid_unknown_fields=True):
    application_id: uuid.UUID
    decision: Decision
    decided_on: date


class WithdrawApplication(msgspec.Struct, forbid_unknown_fields=True):
    application_id: uuid.UUID
    withdrawn_on: date


def application_data(row: Application) -> dict:
    return {
        "id": str(row.id),
        "client_id": str(row.client_id),
        "area_id": str(row.area_id),
        "service": row.service,
        "received_on": row.received_on.isoformat(),
        "assessment_id": str(row.assessment_id) if row.assessment_id else None,
        "handler_id": str(row.handler_id) if row.handler_id else None,
        "status": row.status,
        "decision": row.decision,
        "decided_on": row.decided_on.isoformat() if row.decided_on else None,
        "withdrawn_on": row.withdrawn_on.isoformat() if row.withdrawn_on else None,
        "note": row.note,
    }


def application_scopes(row: Application) -> set[str]:
    """Where the record is published: the area's counsellors and the handler."""
    return {area_scope(row.area_id)} | ({user_scope(row.handler_id)} if row.handler_id else set())


_held = application_scopes


async def _publish_and_log(ctx: MutationContext, row: Application, op: str) -> None:
    await ctx.session.flush()
    ctx.changes.put("application", row.id, application_data(row), _held(row))
    client = await ctx.session.get(Client, row.client_id)
    assert client is not None
    role, why = await basis(ctx, client, _held(row))
    await ctx.log_access(role, [Access("application", op, why, client_id=client.id, record_id=str(row.id))])


async def _require_handler(ctx: MutationContext, user_id: uuid.UUID) -> None:
    found = (
        await ctx.session.execute(
            select(RoleAssignment.id).where(
                RoleAssignment.user_id == user_id, RoleAssignment.role == "counsellor"
            )
        )
    ).first()
    if found is None:
        ctx.reject("unknown_entity", "No such handler (a counsellor).", {"handler_id": str(user_id)})


async def _load(ctx: MutationContext, application_id: uuid.UUID) -> Application:
    row = await ctx.session.get(Application, application_id, with_for_update=True)
    if row is None:
        ctx.reject("unknown_entity", "No such application.", {"application_id": str(application_id)})
    if not _held(row) & ctx.scopes:
        ctx.reject("forbidden", "Only counsellors of the area or the handler change this application.")
    return row


def _state_error(ctx: MutationContext, row: Application, message: str) -> None:
    ctx.reject("invalid_state", message, {"status": row.status, "decision": row.decision})


RECEIVE_FIELDS = ("client_id", "service", "received_on", "assessment_id")


@mutation(
    "application.receive",
    args=ReceiveApplication,
    touches=lambda a: (auth.Client(a.client_id), auth.ClientOf("assessment", a.assessment_id)),
)
async def receive(ctx: MutationContext, args: ReceiveApplication) -> dict:
    """Record an application received on a date (with its handler, if known)."""
    client = await ctx.session.get(Client, args.client_id)
    if client is None:
        ctx.reject("unknown_entity", "No such client.", {"client_id": str(args.client_id)})
    area_id = args.area_id or await municipality_area(ctx, client.municipality_id)
    if await ctx.session.get(Area, area_id) is None:
        ctx.reject("unknown_entity", "No such area.", {"area_id": str(area_id)})
    ctx.require_scope(area_scope(area_id))
    if args.received_on > today_in_finland(ctx.now):
        ctx.reject("invalid_date", "An application cannot arrive in the future.")
    if args.handler_id is not None:
        await _require_handler(ctx, args.handler_id)
    if args.assessment_id is not None:
        parent = await ctx.session.get(Assessment, args.assessment_id)
        if parent is None or parent.client_id != client.id:
            ctx.reject("unknown_entity", "No such assessment of this client.")
    existing = await ctx.session.get(Application, args.application_id)
    if existing is not None:
        ctx.require_replay(existing, args, RECEIVE_FIELDS, "An application")
        return {"application_id": str(existing.id), "status": existing.status}
    row = Application(
        id=args.application_id,
        client_id=client.id,
        area_id=area_id,
        service=args.service,
        received_on=args.received_on,
        assessment_id=args.assessment_id,
        handler_id=args.handler_id,
        status="in_process" if args.handler_id else "received",
        note=args.note,
        created_at=ctx.now,
        created_by=ctx.user_id,
        updated_at=ctx.now,
    )
    ctx.session.add(row)
    await _publish_and_log(ctx, row, "create")
    await signals.publish(ctx.session, signals.ApplicationReceived(row.id), ctx.now)
    return {"application_id": str(row.id), "status": row.status}


@mutation(
    "application.assign",
    args=AssignApplication,
    touches=lambda a: (auth.ClientOf("application", a.application_id),),
)
async def assign(ctx: MutationContext, args: AssignApplication) -> dict:
    """Give the application to a handler (last writer wins); a received one is then in process."""
    row = await _load(ctx, args.application_id)
    await _require_handler(ctx, args.handler_id)
    if row.status not in OPEN_STATUSES:
        _state_error(ctx, row, "Only an open application can be handed over.")
    if row.handler_id != args.handler_id or row.status == "received":
        # Published with the new scopes: the former handler's `user:` scope drops it.
        row.handler_id, row.status, row.updated_at = args.handler_id, "in_process", ctx.now
        await _publish_and_log(ctx, row, "update")
    return {"application_id": str(row.id), "handler_id": str(row.handler_id)}


@mutation(
    "application.decide",
    args=DecideApplication,
    touches=lambda a: (auth.ClientOf("application", a.application_id),),
)
async def decide(ctx: MutationContext, args: DecideApplication) -> dict:
    """The decision on the application."""
    row = await _load(ctx, args.application_id)
    if row.status not in OPEN_STATUSES:
        if (row.decision, row.decided_on) == (args.decision, args.decided_on):
            return {"application_id": str(row.id), "status": row.status}
        _state_error(ctx, row, "The application has already been decided or withdrawn.")
    if not row.received_on <= args.decided_on <= today_in_finland(ctx.now):
        ctx.reject("invalid_date", "A decision falls between the arrival and today.")
    row.decision, row.decided_on, row.status, row.updated_at = (
        args.decision,
        args.decided_on,
        "decided",
        ctx.now,
    )
    if row.handler_id is None and ctx.author.has_role("counsellor"):
        row.handler_id = ctx.user_id  # a deciding counsellor handled it; a supervisor never becomes a handler
    await _publish_and_log(ctx, row, "update")
    return {"application_id": str(row.id), "status": row.status}


@mutation(
    "application.withdraw",
    args=WithdrawApplication,
    touches=lambda a: (auth.ClientOf("application", a.application_id),),
)
async def withdraw(ctx: MutationContext, args: WithdrawApplication) -> dict:
    """The client withdrew the application."""
    row = await _load(ctx, args.application_id)
    if row.status not in OPEN_STATUSES:
        if row.withdrawn_on == args.withdrawn_on:
            return {"application_id": str(row.id), "status": row.status}
        _state_error(ctx, row, "The application has already been decided or withdrawn.")
    if not row.received_on <= args.withdrawn_on <= today_in_finland(ctx.now):
        ctx.reject("invalid_date", "A withdrawal falls between the arrival and today.")
    row.withdrawn_on, row.status, row.updated_at = args.withdrawn_on, "withdrawn", ctx.now
    await _publish_and_log(ctx, row, "update")
    return {"application_id": str(row.id), "status": row.status}
