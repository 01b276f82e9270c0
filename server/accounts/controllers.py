"""Routes: sign-in, refresh, sign-out, who am I, and the admin's user management.

Admins list and create users and give or take away roles: `POST /api/admin/users/{id}/roles` (body: the
grant) and `DELETE /api/admin/users/{id}/roles?role=&area_id=&unit_id=` (the grant to remove). A change
takes effect on the user's next call and their devices' next pull.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT
from sqlalchemy import select

from server.accounts import service
from server.accounts.models import User
from server.accounts.schemas import (
    GrantOut,
    LoginRequest,
    LogoutRequest,
    NewGrant,
    NewPassword,
    NewUser,
    RefreshRequest,
    TokenResponse,
    UserOut,
)
from server.accounts.tokens import DEVICE_PREFIX
from server.context import client_address
from server.deps import Context, CurrentPrincipal, DbSession

DEVICE_COOKIE = "kaari_device"


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @post("/login", operation_id="login", status_code=HTTP_200_OK)
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[LoginRequest],
        db_session: DbSession,
        context: Context,
    ) -> Response[TokenResponse]:
        """Sign in. On a shared tablet, send the device credential as the bearer token. The answer sets a
        signed device cookie: from this browser the user is not locked out by others' failed guesses."""
        header = request.headers.get("authorization", "")
        credential = header.partition(" ")[2].strip() or None
        if credential is not None and not credential.startswith(DEVICE_PREFIX):
            credential = None
        proof = request.cookies.get(DEVICE_COOKIE)
        tokens = await service.login(
            db_session, context.settings, context.tokens, data, client_address(request), credential, proof
        )
        cookie = Cookie(
            key=DEVICE_COOKIE,
            value=context.tokens.issue_device_cookie(data.username, context.settings.device_cookie_days),
            path="/api/auth",
            max_age=context.settings.device_cookie_days * 86400,
            httponly=True,
            secure=True,
            samesite="strict",
        )
        return Response(tokens, cookies=[cookie])

    @post("/refresh", operation_id="refresh", status_code=HTTP_200_OK)
    async def refresh(
        self, data: JSONBody[RefreshRequest], db_session: DbSession, context: Context
    ) -> TokenResponse:
        """Trade a refresh token for a new pair. Each refresh token works once."""
        return await service.refresh(db_session, context.settings, context.tokens, data.refresh_token)

    @post("/logout", operation_id="logout", status_code=HTTP_204_NO_CONTENT)
    async def logout(
        self, principal: CurrentPrincipal, db_session: DbSession, data: JSONBody[LogoutRequest | None] = None
    ) -> None:
        """End this sign-in: its refresh and access tokens stop working at once. The body, if any, names what
        the app had queued, which the tablet's device credential may still send for this user."""
        await service.logout(db_session, principal, data.replicas if data else [])

    @get("/me", operation_id="me")
    async def me(self, principal: CurrentPrincipal, db_session: DbSession) -> UserOut:
        """The signed-in user with their roles."""
        user = await db_session.get(User, principal.require_user())
        assert user is not None
        return service.user_out(user)


class UsersController(Controller):
    path = "/api/admin/users"
    tags = ["admin"]

    @get("/", operation_id="listUsers")
    async def list_users(self, principal: CurrentPrincipal, db_session: DbSession) -> list[UserOut]:
        """Every user with their role assignments (admin)."""
        principal.require_role("admin")
        users = (await db_session.execute(select(User).order_by(User.username))).scalars().all()
        return [service.user_out(u) for u in users]

    @post("/", operation_id="createUser")
    async def create_user(
        self, data: JSONBody[NewUser], principal: CurrentPrincipal, db_session: DbSession, context: Context
    ) -> UserOut:
        """Create a user with role assignments (admin)."""
        principal.require_role("admin")
        return service.user_out(await service.create_user(db_session, context.settings, data))

    @post("/{user_id:uuid}/roles", operation_id="addUserRole", status_code=HTTP_200_OK)
    async def add_role(
        self,
        user_id: FromPath[uuid.UUID],
        data: JSONBody[NewGrant],
        principal: CurrentPrincipal,
        db_session: DbSession,
    ) -> UserOut:
        """Give the user a role in the region, an area or a unit (admin). The same grant again is a no-op."""
        principal.require_role("admin")
        grant = GrantOut(data.role, data.area_id, data.unit_id)
        return service.user_out(await service.add_role(db_session, user_id, grant, principal))

    @post("/{user_id:uuid}/deactivate", operation_id="deactivateUser", status_code=HTTP_200_OK)
    async def deactivate(
        self, user_id: FromPath[uuid.UUID], principal: CurrentPrincipal, db_session: DbSession
    ) -> UserOut:
        """Deactivate the account (admin): its sign-ins and tokens stop working at once."""
        principal.require_role("admin")
        return service.user_out(await service.set_active(db_session, user_id, False, principal))

    @post("/{user_id:uuid}/activate", operation_id="activateUser", status_code=HTTP_200_OK)
    async def activate(
        self, user_id: FromPath[uuid.UUID], principal: CurrentPrincipal, db_session: DbSession
    ) -> UserOut:
        """Make a deactivated account usable again (admin)."""
        principal.require_role("admin")
        return service.user_out(await service.set_active(db_session, user_id, True, principal))

    @post("/{user_id:uuid}/password", operation_id="resetUserPassword", status_code=HTTP_200_OK)
    async def reset_password(
        self,
        user_id: FromPath[uuid.UUID],
        data: JSONBody[NewPassword],
        principal: CurrentPrincipal,
        db_session: DbSession,
        context: Context,
    ) -> UserOut:
        """Set a new password (admin): the account's sign-ins end and its lockout is lifted."""
        principal.require_role("admin")
        user = await service.reset_password(db_session, context.settings, user_id, data.password, principal)
        return service.user_out(user)

    @delete("/{user_id:uuid}/roles", operation_id="removeUserRole", status_code=HTTP_200_OK)
    async def remove_role(
        self,
        user_id: FromPath[uuid.UUID],
        role: FromQuery[str],
        principal: CurrentPrincipal,
        db_session: DbSession,
        area_id: FromQuery[uuid.UUID | None] = None,
        unit_id: FromQuery[uuid.UUID | None] = None,
    ) -> UserOut:
        """Take a role (as scoped by area_id / unit_id) away from the user (admin); not your own admin role."""
        principal.require_role("admin")
        grant = GrantOut(role, area_id, unit_id)
        return service.user_out(await service.remove_role(db_session, user_id, grant, principal))
