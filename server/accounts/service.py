"""Sign-in, token refresh (rotation, reuse detection, a grace window for lost answers), sign-out, users, roles.

Password checks run outside any write transaction (Argon2 is slow on purpose, and a held SQLite write
lock would make every other writer wait for it). Failures are committed before the error is raised, so
the rate limit counts them even though the request fails.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server import clock, signals
from server.accounts.devices import Device
from server.accounts.models import (
    ROLES,
    SCOPED_ROLES,
    AuthSession,
    LoginFailure,
    RefreshToken,
    RoleAssignment,
    User,
)
from server.accounts.passwords import hash_password, hasher, verify_password
from server.accounts.principal import Principal, device_from_credential
from server.accounts.schemas import (
    GrantOut,
    LoginRequest,
    NewGrant,
    NewUser,
    QueuedReplica,
    TokenResponse,
    UserOut,
)
from server.accounts.tokens import TokenService, digest, new_refresh_token
from server.db import begin_write, utcnow
from server.errors import DeviceRevoked, Forbidden, KaariError, NotFound, RateLimited, Unauthenticated
from server.reference.models import Area, Unit
from server.settings import Settings

WRONG_CREDENTIALS = "Wrong username or password."
log = logging.getLogger("kaari.accounts")


def user_out(user: User) -> UserOut:
    roles = [GrantOut(r.role, r.area_id, r.unit_id) for r in user.roles]
    return UserOut(user.id, user.username, user.display_name, user.language, roles, user.active)


async def _failures_retry_after(
    session: AsyncSession, settings: Settings, key: str, limit: int
) -> int | None:
    since = utcnow() - timedelta(seconds=settings.login_failure_window_seconds)
    count, oldest = (
        await session.execute(
            select(func.count(), func.min(LoginFailure.at)).where(
                LoginFailure.key == key, LoginFailure.at > since
            )
        )
    ).one()
    if count < limit:
        return None
    return int((oldest - since).total_seconds()) + 1


async def check_rate_limit(session: AsyncSession, settings: Settings, keys: dict[str, int]) -> None:
    for key, limit in keys.items():
        retry_after = await _failures_retry_after(session, settings, key, limit)
        if retry_after is not None:
            raise RateLimited("Too many failed attempts. Try again later.", retry_after)


async def reserve_attempt(session: AsyncSession, settings: Settings, keys: dict[str, int]) -> list[uuid.UUID]:
    """Count an attempt under each key before its password is checked, atomically on both engines.

    Checking the count and adding to it in one serialised transaction is what makes 30 parallel guesses
    end in 429s: each sees the ones before it. The attempt stays counted as a failure unless the sign-in
    succeeds (`_forget_attempt`). SQLite serialises writers (BEGIN IMMEDIATE); PostgreSQL takes a
    transaction-scoped advisory lock per key, so two attempts on the same key take turns.
    """
    await session.rollback()
    await begin_write(session)
    if session.bind.dialect.name == "postgresql":
        for key in sorted(keys):
            await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))
    for key, limit in keys.items():
        retry_after = await _failures_retry_after(session, settings, key, limit)
        if retry_after is not None:
            await session.rollback()
            raise RateLimited("Too many failed attempts. Try again later.", retry_after)
    cutoff = utcnow() - timedelta(seconds=settings.login_failure_window_seconds)
    await session.execute(delete(LoginFailure).where(LoginFailure.key.in_(keys), LoginFailure.at <= cutoff))
    rows = [LoginFailure(key=key) for key in keys]
    session.add_all(rows)
    await session.flush()
    ids = [row.id for row in rows]
    await session.commit()
    return ids


async def record_failure(session: AsyncSession, settings: Settings, keys: list[str]) -> None:
    """Count a failed attempt under each key, in its own committed transaction."""
    await session.rollback()
    await begin_write(session)
    cutoff = utcnow() - timedelta(seconds=settings.login_failure_window_seconds)
    await session.execute(delete(LoginFailure).where(LoginFailure.key.in_(keys), LoginFailure.at <= cutoff))
    session.add_all(LoginFailure(key=key) for key in keys)
    await session.commit()


def _allowed_on_unit(user: User, unit: Unit) -> bool:
    return any(
        (r.area_id is None and r.unit_id is None) or r.unit_id == unit.id or r.area_id == unit.area_id
        for r in user.roles
    )


async def _device_for_sign_in(
    session: AsyncSession, user: User, device_id: uuid.UUID | None, device_credential: str | None
) -> Device:
    """Find (or register) the device this sign-in happens on; see protocol §2."""
    if device_credential is not None:
        device = await device_from_credential(session, device_credential)
        if device_id is not None and device_id != device.id:
            raise KaariError("device_id does not match the device credential.", code="invalid_request")
        unit = await session.get(Unit, device.unit_id) if device.unit_id else None
        if unit is None or not _allowed_on_unit(user, unit):
            raise Forbidden("You have no role in the unit this tablet belongs to.")
        return device
    device = await session.get(Device, device_id) if device_id is not None else None
    if device is None:
        device = Device(
            id=device_id or uuid.uuid4(), kind="personal", name="Personal device", owner_user_id=user.id
        )
        session.add(device)
        await session.flush()
        return device
    if device.revoked_at is not None:
        raise DeviceRevoked()
    if device.kind == "shared":
        raise Forbidden("This is a shared tablet: sign in on it with its device credential.")
    if device.owner_user_id != user.id:
        raise Forbidden("This device is registered to another user.")
    return device


async def _issue(
    session: AsyncSession,
    settings: Settings,
    tokens: TokenService,
    user: User,
    auth_session: AuthSession,
    replaces: RefreshToken | None = None,
) -> TokenResponse:
    refresh, refresh_hash = new_refresh_token()
    issued = RefreshToken(session_id=auth_session.id, token_hash=refresh_hash)
    session.add(issued)
    await session.flush()
    if replaces is not None:
        replaces.replaced_by_id = issued.id
    access = tokens.issue_access(user.id, auth_session.id, auth_session.device_id)
    return TokenResponse(
        access, refresh, tokens.access_seconds, "Bearer", auth_session.device_id, user_out(user)
    )


async def login(
    session: AsyncSession,
    settings: Settings,
    tokens: TokenService,
    body: LoginRequest,
    address: str,
    device_credential: str | None = None,
    device_cookie: str | None = None,
) -> TokenResponse:
    """Sign in with a password. Failures count per username and per address; a browser holding a device
    cookie this user earned by signing in there counts under a key of its own, so neither a guesser of the
    username nor a busy shared address (a service point) locks that user out of their own device."""
    username = body.username.lower()
    proven = device_cookie is not None and tokens.device_cookie_user(device_cookie) == username
    if proven:
        assert device_cookie is not None
        keys = {f"user:{username}:device:{digest(device_cookie)[:16]}": settings.login_max_failures}
    else:
        keys = {
            f"user:{username}": settings.login_max_failures,
            f"addr:{address}": settings.login_max_failures_per_address,
        }
    attempt = await reserve_attempt(session, settings, keys)
    user = (await session.execute(select(User).where(User.username == body.username))).scalar_one_or_none()
    stored = user.password_hash if user is not None and user.active else None
    await session.commit()

    ph = hasher(settings.argon2_time_cost, settings.argon2_memory_kib)
    if not await verify_password(ph, stored, body.password):
        raise Unauthenticated(WRONG_CREDENTIALS, code="invalid_credentials")
    assert user is not None

    await begin_write(session)
    user = await session.get(User, user.id, populate_existing=True)
    if user is None or not user.active:
        raise Unauthenticated(WRONG_CREDENTIALS, code="invalid_credentials")
    device = await _device_for_sign_in(session, user, body.device_id, device_credential)
    if ph.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(body.password, ph)
    # The right password: this attempt and the user's earlier failures no longer count.
    await session.execute(
        delete(LoginFailure).where(
            LoginFailure.id.in_(attempt) | LoginFailure.key.in_([k for k in keys if k.startswith("user:")])
        )
    )
    now = utcnow()
    auth_session = AuthSession(
        user_id=user.id, device_id=device.id, expires_at=now + timedelta(days=settings.refresh_token_days)
    )
    session.add(auth_session)
    device.last_seen_at = now
    await session.flush()
    return await _issue(session, settings, tokens, user, auth_session)


async def refresh(
    session: AsyncSession, settings: Settings, tokens: TokenService, token: str
) -> TokenResponse:
    """Rotate a refresh token. Presenting a spent one revokes the whole family (someone copied it), unless
    it is a lost response being retried (`_supersede_successor`)."""
    await begin_write(session)
    row = (
        await session.execute(
            select(RefreshToken, AuthSession)
            .join(AuthSession, AuthSession.id == RefreshToken.session_id)
            .where(RefreshToken.token_hash == digest(token))
            # Refreshes with one token take turns (on SQLite the write lock does this): the second one sees
            # the first one's successor, so a double refresh is a retry rather than a reuse.
            .with_for_update(of=RefreshToken)
        )
    ).one_or_none()
    if row is None:
        raise Unauthenticated("The refresh token is not valid.")
    stored, auth_session = row
    now = clock.utc_now()
    device = await session.get(Device, auth_session.device_id)
    if device is None or device.revoked_at is not None:
        raise DeviceRevoked()
    if auth_session.revoked_at is not None or auth_session.expires_at <= now:
        raise Unauthenticated("You have been signed out. Sign in again.")
    if now - auth_session.created_at > timedelta(hours=settings.reauth_hours):
        # A password at least every `reauth_hours`: a stolen refresh token does not live for weeks.
        auth_session.revoked_at, auth_session.revoked_reason = now, "reauthentication_required"
        await session.commit()
        raise Unauthenticated("Sign in again with your password.", code="reauthentication_required")
    claimed = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == stored.id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1 and not await _supersede_successor(session, settings, stored, now):
        auth_session.revoked_at, auth_session.revoked_reason = now, "refresh_reused"
        await session.commit()
        raise Unauthenticated(
            "This refresh token was already used; the sign-in has been ended for safety.",
            code="refresh_reused",
        )
    user = await session.get(User, auth_session.user_id)
    if user is None or not user.active:
        raise Unauthenticated("The account is not active.")
    device.last_seen_at = now
    return await _issue(session, settings, tokens, user, auth_session, replaces=stored)


async def _supersede_successor(
    session: AsyncSession, settings: Settings, spent: RefreshToken, now: datetime
) -> bool:
    """Whether a spent token may be refreshed again: the answer that carried its successor was lost.

    That is so when it was spent at most `refresh_grace_seconds` ago and its successor has never been
    used (a client that got the successor would present that). The successor is then spent here, so the
    family keeps one live token: the one about to be issued. A superseded successor has no successor of
    its own, so presenting it later is a reuse.
    """
    grace = timedelta(seconds=settings.refresh_grace_seconds)
    if not grace or spent.used_at is None or spent.replaced_by_id is None or now - spent.used_at > grace:
        return False
    superseded = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == spent.replaced_by_id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
    )
    if superseded.rowcount != 1:
        return False
    log.info("lost refresh response retried", extra={"session_id": str(spent.session_id)})
    return True


async def logout(session: AsyncSession, principal: Principal, queued: list[QueuedReplica]) -> None:
    if principal.session_id is None or principal.user_id is None:
        return
    await begin_write(session)
    auth_session = await session.get(AuthSession, principal.session_id)
    if auth_session is not None and auth_session.revoked_at is None:
        now = utcnow()
        auth_session.revoked_at, auth_session.revoked_reason = now, "signed_out"
        bounds = {q.client_id: q.last_seq for q in queued}
        await signals.publish(session, signals.SignedOut(principal.user_id, principal.device_id, bounds), now)


async def _check_grant(session: AsyncSession, grant: NewGrant | GrantOut) -> None:
    """A known role, scoped to the region, one existing area or one existing unit (the database's checks
    refuse the same; this gives the reason)."""
    if grant.role not in ROLES:
        raise KaariError(f"Unknown role {grant.role!r}.", code="invalid_request")
    if grant.area_id is not None and grant.unit_id is not None:
        raise KaariError("A role is scoped to an area or to a unit, not both.", code="invalid_request")
    if grant.role in SCOPED_ROLES and grant.area_id is None and grant.unit_id is None:
        raise KaariError(
            f"The role {grant.role} needs a unit or an area.",
            code="invalid_request",
            details={"role": grant.role},
        )
    if grant.area_id is not None and await session.get(Area, grant.area_id) is None:
        raise KaariError("No such area.", code="unknown_entity", details={"area_id": str(grant.area_id)})
    if grant.unit_id is not None and await session.get(Unit, grant.unit_id) is None:
        raise KaariError("No such unit.", code="unknown_entity", details={"unit_id": str(grant.unit_id)})


async def create_user(session: AsyncSession, settings: Settings, new: NewUser) -> User:
    for grant in new.roles:
        await _check_grant(session, grant)
    if (await session.execute(select(User.id).where(User.username == new.username))).first():
        raise KaariError(f"The username {new.username!r} is taken.", code="username_taken", status_code=409)
    ph = hasher(settings.argon2_time_cost, settings.argon2_memory_kib)
    user = User(
        username=new.username,
        display_name=new.display_name,
        password_hash=hash_password(new.password, ph),
        language=new.language,
        roles=[RoleAssignment(role=g.role, area_id=g.area_id, unit_id=g.unit_id) for g in new.roles],
    )
    session.add(user)
    await session.flush()
    return user


def _same(assignment: RoleAssignment, grant: GrantOut) -> bool:
    return (assignment.role, assignment.area_id, assignment.unit_id) == (
        grant.role,
        grant.area_id,
        grant.unit_id,
    )


async def _user_for_update(session: AsyncSession, user_id: uuid.UUID) -> User:
    await begin_write(session)
    user = await session.get(User, user_id, populate_existing=True)
    if user is None:
        raise NotFound("No such user.")
    return user


async def add_role(session: AsyncSession, user_id: uuid.UUID, grant: GrantOut, by: Principal) -> User:
    """Give a user a role (in the region, an area or a unit). The same grant again changes nothing.

    It takes effect on the user's next call: the principal is read from the database on every call, and
    the next pull of each of their devices brings the new scope's records.
    """
    await _check_grant(session, grant)
    user = await _user_for_update(session, user_id)
    if not any(_same(a, grant) for a in user.roles):
        user.roles.append(RoleAssignment(role=grant.role, area_id=grant.area_id, unit_id=grant.unit_id))
        await session.flush()
        log.info(
            "role added", extra={"user_id": str(user.id), "grant": _grant_text(grant), "by": by.username}
        )
    return user


async def remove_role(session: AsyncSession, user_id: uuid.UUID, grant: GrantOut, by: Principal) -> User:
    """Take a role away; the next pull of the user's devices drops the scopes it gave (protocol §4).

    An admin cannot remove their own admin role (nobody would be left to give it back by mistake).
    """
    user = await _user_for_update(session, user_id)
    found = [a for a in user.roles if _same(a, grant)]
    if not found:
        raise NotFound("The user does not have this role.", details={"role": grant.role})
    if grant.role == "admin" and user.id == by.user_id:
        raise KaariError(
            "You cannot remove your own admin role; ask another admin.",
            code="own_admin_role",
            status_code=409,
        )
    for assignment in found:
        user.roles.remove(assignment)
    await session.flush()
    log.info("role removed", extra={"user_id": str(user.id), "grant": _grant_text(grant), "by": by.username})
    return user


async def set_active(session: AsyncSession, user_id: uuid.UUID, active: bool, by: Principal) -> User:
    """Deactivate (or reactivate) an account. Deactivating ends every sign-in at once (each call checks the
    account and its sign-in); what its devices had queued is still flushed by their device credentials and
    attributed to it."""
    user = await _user_for_update(session, user_id)
    if not active and user.id == by.user_id:
        raise KaariError(
            "You cannot deactivate yourself; ask another admin.", code="own_account", status_code=409
        )
    user.active = active
    if not active:
        await _end_sign_ins(session, user.id, "deactivated")
    log.info("account active set", extra={"user_id": str(user.id), "active": active, "by": by.username})
    return user


async def reset_password(
    session: AsyncSession, settings: Settings, user_id: uuid.UUID, password: str, by: Principal
) -> User:
    """Give the account a new password (an admin's reset): its sign-ins end and its lockout is lifted."""
    user = await _user_for_update(session, user_id)
    user.password_hash = hash_password(
        password, hasher(settings.argon2_time_cost, settings.argon2_memory_kib)
    )
    await _end_sign_ins(session, user.id, "password_reset")
    await session.execute(delete(LoginFailure).where(LoginFailure.key == f"user:{user.username.lower()}"))
    log.info("password reset", extra={"user_id": str(user.id), "by": by.username})
    return user


async def _end_sign_ins(session: AsyncSession, user_id: uuid.UUID, reason: str) -> None:
    await session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )


def _grant_text(grant: GrantOut) -> str:
    where = (
        f"area:{grant.area_id}" if grant.area_id else f"unit:{grant.unit_id}" if grant.unit_id else "region"
    )
    return f"{grant.role}@{where}"
