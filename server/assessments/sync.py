"""How assessments and RAI results appear to devices: their data and scopes.

An assessment is in `area:{area_id}` (the area's counsellors) and `user:{counsellor_id}` (the responsible
counsellor, wherever they work). A RAI result travels with its assessment, or with the client when it was
recorded without one.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.scopes import area_scope, user_scope
from server.assessments.models import ASSESSMENT_FIELDS, RAI_POLICIES, Assessment, RaiAssessment
from server.clients.models import Client
from server.clients.sync import client_scopes
from server.sync.changes import ChangeSet


def _plain(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if value is not None and not isinstance(value, (bool, int, str, dict, list)):
        return str(value)
    return value


def assessment_data(row: Assessment) -> dict:
    return {name: _plain(getattr(row, name)) for name in ASSESSMENT_FIELDS}


def rai_data(row: RaiAssessment) -> dict:
    return {name: _plain(getattr(row, name)) for name in RAI_POLICIES.fields}


def assessment_scopes(row: Assessment) -> set[str]:
    return {area_scope(row.area_id), user_scope(row.counsellor_id)}


def publish_assessment(changes: ChangeSet, row: Assessment) -> None:
    changes.put("assessment", row.id, assessment_data(row), assessment_scopes(row))


async def publish_rai(session: AsyncSession, changes: ChangeSet, row: RaiAssessment) -> None:
    if row.assessment_id is not None:
        parent = await session.get(Assessment, row.assessment_id)
        assert parent is not None
        scopes = assessment_scopes(parent)
    else:
        client = await session.get(Client, row.client_id)
        assert client is not None
        scopes = await client_scopes(session, client)
    changes.put("rai_assessment", row.id, rai_data(row), scopes)
