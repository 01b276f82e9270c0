"""Enrolment of shared tablets, and revocation."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta

import msgspec
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.devices import Device, EnrolmentCode
from server.accounts.models import AuthSession
from server.accounts.service import check_rate_limit, record_failure
from server.accounts.tokens import digest, new_device_credential
from server.db import begin_write, utcnow
from server.errors import KaariError, NotFound, Unauthenticated
from server.reference.models import Unit
from server.settings import Settings

# Crockford's base32 without I, L, O, U: easy to read aloud and type on a tablet.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12
ENROL_FAILURES_PER_ADDRESS = 10


class EnrolmentCodeOut(msgspec.Struct):
    code: str
    unit_id: uuid.UUID
    device_name: str
    expires_at: datetime


class EnrolledDevice(msgspec.Struct):
    device_id: uuid.UUID
    device_credential: str
    unit_id: uuid.UUID
    name: str


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def format_code(raw: str) -> str:
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


async def create_enrolment_code(
    session: AsyncSession,
    settings: Settings,
    unit_id: uuid.UUID,
    device_name: str,
    created_by: uuid.UUID | None,
) -> EnrolmentCodeOut:
    await begin_write(session)
    if await session.get(Unit, unit_id) is None:
        raise NotFound("No such unit.")
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    expires_at = utcnow() + timedelta(hours=settings.enrolment_code_hours)
    session.add(
        EnrolmentCode(
            code_hash=digest(raw),
            unit_id=unit_id,
            device_name=device_name,
            created_by=created_by,
            expires_at=expires_at,
        )
    )
    await session.flush()
    return EnrolmentCodeOut(format_code(raw), unit_id, device_name, expires_at)


async def enroll(session: AsyncSession, settings: Settings, code: str, address: str) -> EnrolledDevice:
    """Trade a one-time code for a device credential. A code works once; guessing is rate limited."""
    key = f"enrol:{address}"
    await check_rate_limit(session, settings, {key: ENROL_FAILURES_PER_ADDRESS})
    await session.commit()
    await begin_write(session)
    now = utcnow()
    found = (
        await session.execute(
            select(EnrolmentCode).where(EnrolmentCode.code_hash == digest(normalise_code(code)))
        )
    ).scalar_one_or_none()
    if found is None or found.used_at is not None or found.expires_at <= now:
        await record_failure(session, settings, [key])
        raise Unauthenticated(
            "The enrolment code is not valid or has been used.", code="invalid_enrolment_code"
        )
    device_id = uuid.uuid4()
    credential, credential_hash = new_device_credential(device_id)
    session.add(
        Device(
            id=device_id,
            kind="shared",
            name=found.device_name,
            unit_id=found.unit_id,
            credential_hash=credential_hash,
        )
    )
    await session.flush()
    found.used_at, found.device_id = now, device_id
    return EnrolledDevice(device_id, credential, found.unit_id, found.device_name)


async def revoke(session: AsyncSession, device_id: uuid.UUID, revoked_by: uuid.UUID) -> Device:
    """Revoke a device and end every sign-in on it; its next call is told to wipe."""
    await begin_write(session)
    device = await session.get(Device, device_id)
    if device is None:
        raise NotFound("No such device.")
    if device.revoked_at is None:
        now = utcnow()
        device.revoked_at, device.revoked_by = now, revoked_by
        await session.execute(
            update(AuthSession)
            .where(AuthSession.device_id == device_id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason="device_revoked")
        )
    return device


def validate_device_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 120:
        raise KaariError("A device name is 1 to 120 characters.", code="invalid_request")
    return name
