"""Who is calling: a signed-in user on a device, or a device alone (flushing a signed-out user's outbox).

`provide_principal` is the dependency every authenticated route takes. It reads the session, the device,
the user and the user's roles in one statement on every call, so a sign-out, a revoked device, a
deactivated user or a removed role takes effect on the next call, whoever changed the database (this
process, another one, an operator's SQL). Only the access token's verified claims are kept in memory, until
the token expires (`TokenService.decode_access`): they say who the token names, never whether that
sign-in is still live.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.devices import Device
from server.accounts.models import AuthSession, RoleAssignment, User
from server.accounts.tokens import DEVICE_PREFIX, AccessClaims, parse_device_credential, same_digest
from server.db import inline_reads, utcnow
from server.errors import DeviceRevoked, Forbidden, Unauthenticated


@dataclass(frozen=True)
class Actor:
    """Who did it, as the access log names them."""

    user_id: uuid.UUID | None
    username: str | None
    role: str | None
    device_id: uuid.UUID | None


@dataclass(frozen=True)
class Grant:
    role: str
    area_id: uuid.UUID | None = None
    unit_id: uuid.UUID | None = None

    @property
    def region_wide(self) -> bool:
        return self.area_id is None and self.unit_id is None


@dataclass(frozen=True)
class Principal:
    device_id: uuid.UUID
    device_kind: str
    device_unit_id: uuid.UUID | None
    user_id: uuid.UUID | None = None
    username: str | None = None
    display_name: str | None = None
    session_id: uuid.UUID | None = None
    grants: tuple[Grant, ...] = ()

    @property
    def roles(self) -> set[str]:
        return {grant.role for grant in self.grants}

    def has_role(self, *roles: str) -> bool:
        return any(grant.role in roles for grant in self.grants)

    def require_user(self) -> uuid.UUID:
        if self.user_id is None:
            raise Forbidden("This needs a signed-in user, not only a device credential.")
        return self.user_id

    def require_role(self, *roles: str) -> None:
        self.require_user()
        if not self.has_role(*roles):
            raise Forbidden(f"This needs the role {' or '.join(roles)}.")

    def grants_for(self, *roles: str) -> list[Grant]:
        return [grant for grant in self.grants if grant.role in roles]

    def actor(self, role: str | None = None) -> Actor:
        if role is None and self.grants:
            role = self.grants[0].role
        return Actor(self.user_id, self.username, role, self.device_id)


def grants_of(assignments: list[RoleAssignment]) -> tuple[Grant, ...]:
    return tuple(Grant(a.role, a.area_id, a.unit_id) for a in assignments)


def on_device(grants: tuple[Grant, ...], kind: str, unit_id: uuid.UUID | None) -> tuple[Grant, ...]:
    """What a user may do through this device. On a shared tablet: the tablet's unit, as its staff, and
    nothing more, whatever wider roles they hold elsewhere (an admin's, a coordinator's or a counsellor's
    work never goes through a tablet left in a unit); elsewhere every grant they hold."""
    if kind != "shared":
        return grants
    if unit_id is not None and any(g.role == "unit_staff" for g in grants):
        return (Grant("unit_staff", unit_id=unit_id),)
    return ()


def bearer_token(request: Request[Any, Any, Any]) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Sign in first: this call needs an Authorization: Bearer token.")
    return token.strip()


async def device_from_credential(session: AsyncSession, credential: str) -> Device:
    device_id, secret_digest = parse_device_credential(credential)
    device = await session.get(Device, device_id)
    if device is None or not same_digest(device.credential_hash, secret_digest):
        raise Unauthenticated("The device credential is not valid.")
    if device.revoked_at is not None:
        raise DeviceRevoked()
    return device


async def resolve_principal(request: Request[Any, Any, Any], session: AsyncSession) -> Principal:
    token = bearer_token(request)
    if token.startswith(DEVICE_PREFIX):
        device = await device_from_credential(session, token)
        return Principal(device.id, device.kind, device.unit_id)
    claims = request.app.state.kaari.tokens.decode_access(token)
    return await principal_for_session(session, claims)


# The live-session check: one statement, one row per role (one row with NULL role columns for none).
_LIVE_SESSION = (
    select(
        AuthSession.user_id,
        AuthSession.device_id,
        AuthSession.expires_at,
        AuthSession.revoked_at,
        Device.kind,
        Device.unit_id,
        Device.revoked_at,
        User.active,
        User.username,
        User.display_name,
        RoleAssignment.role,
        RoleAssignment.area_id,
        RoleAssignment.unit_id,
    )
    .join(Device, Device.id == AuthSession.device_id)
    .join(User, User.id == AuthSession.user_id)
    .outerjoin(RoleAssignment, RoleAssignment.user_id == User.id)
    .where(AuthSession.id == bindparam("session_id", type_=AuthSession.__table__.c.id.type))
)


async def principal_for_session(session: AsyncSession, claims: AccessClaims) -> Principal:
    """The user signed in by this session, if the session, its device and the user are all still live."""
    rows = (await session.execute(_LIVE_SESSION, {"session_id": claims.session_id})).all()
    if not rows:
        raise Unauthenticated("The sign-in session does not exist.")
    (user_id, device_id, expires_at, revoked_at, kind, unit_id, device_revoked_at, active, username, name) = (
        rows[0][:10]
    )
    if device_revoked_at is not None:
        raise DeviceRevoked()
    if revoked_at is not None or expires_at <= utcnow():
        raise Unauthenticated("You have been signed out. Sign in again.")
    if not active or user_id != claims.user_id or device_id != claims.device_id:
        raise Unauthenticated("The access token is not valid.")
    return Principal(
        device_id=device_id,
        device_kind=kind,
        device_unit_id=unit_id,
        user_id=user_id,
        username=username,
        display_name=name,
        session_id=claims.session_id,
        grants=on_device(
            tuple(Grant(role, area_id, unit) for *_, role, area_id, unit in rows if role is not None),
            kind,
            unit_id,
        ),
    )


async def provide_principal(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]
) -> Principal:
    # One primary-key lookup: on SQLite it runs on the event loop's thread (`inline_reads`).
    with inline_reads():
        try:
            return await resolve_principal(request, db_session)
        finally:
            # End the read transaction so the route can start its own (a write one, if it needs it).
            await db_session.commit()
