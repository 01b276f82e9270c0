"""Sign-in and token refresh for the reference client.

``POST /api/auth/login`` ``{username, password, device_id?}`` and ``POST /api/auth/refresh``
``{refresh_token}`` both answer ``{access_token, refresh_token, expires_in, user}``; a refresh rotates the
refresh token, so the new one must replace the old one at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec

from sync_protocol.client.errors import AuthenticationRequired, ServerUnavailable

__all__ = ["LOGIN_PATH", "REFRESH_PATH", "Credentials", "TokenResponse", "login", "refresh_session"]

LOGIN_PATH = "/api/auth/login"
REFRESH_PATH = "/api/auth/refresh"


class TokenResponse(msgspec.Struct, kw_only=True):
    """Answer of login and refresh."""

    access_token: str
    refresh_token: str
    expires_in: int
    user: dict[str, Any] = msgspec.field(default_factory=dict)
    device_id: str | None = None
    """The device the server registered this sign-in to (reuse it at the next sign-in)."""


RefreshCallback = Callable[["Credentials"], Awaitable[None]]
"""Refreshes ``credentials`` in place (e.g. shows a sign-in screen, or calls :func:`refresh_session` and
persists the rotated tokens); raises :class:`AuthenticationRequired` when it cannot."""


@dataclass
class Credentials:
    """What the client authenticates with.

    The access token is used when present; otherwise the device credential (a shared tablet flushing the
    outbox of a user who signed out). ``on_refresh`` replaces the built-in refresh via ``/api/auth/refresh``.
    """

    access_token: str | None = None
    refresh_token: str | None = None
    device_token: str | None = None
    on_refresh: RefreshCallback | None = None
    user: dict[str, Any] = field(default_factory=dict)
    expires_in: int | None = None
    device_id: str | None = None

    def headers(self) -> dict[str, str]:
        token = self.access_token or self.device_token
        return {"Authorization": f"Bearer {token}"} if token else {}

    def update(self, tokens: TokenResponse) -> None:
        self.access_token = tokens.access_token
        self.refresh_token = tokens.refresh_token
        self.expires_in = tokens.expires_in
        if tokens.user:
            self.user = tokens.user
        if tokens.device_id:
            self.device_id = tokens.device_id

    async def refresh(self, http: httpx.AsyncClient) -> None:
        """Get a new access token, through ``on_refresh`` when set."""
        if self.on_refresh is not None:
            await self.on_refresh(self)
        else:
            await refresh_session(http, self)


async def _post_tokens(http: httpx.AsyncClient, path: str, body: dict[str, Any]) -> TokenResponse:
    try:
        response = await http.post(path, content=msgspec.json.encode(body), headers=_JSON_HEADERS)
    except httpx.TransportError as exc:
        raise ServerUnavailable(f"{path}: {exc!r}") from exc
    if response.status_code in (400, 401, 403):
        code = _error_code(response)
        raise AuthenticationRequired(f"{path}: {code}", status=response.status_code, code=code)
    if response.status_code != 200:
        raise ServerUnavailable(f"{path}: HTTP {response.status_code}", status=response.status_code)
    return msgspec.json.decode(response.content, type=TokenResponse)


_JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


def _error_code(response: httpx.Response) -> str:
    try:
        return str(msgspec.json.decode(response.content).get("code", "unauthenticated"))
    except (msgspec.DecodeError, AttributeError):
        return "unauthenticated"


async def login(
    http: httpx.AsyncClient,
    username: str,
    password: str,
    *,
    device_id: uuid.UUID | str | None = None,
    device_token: str | None = None,
) -> Credentials:
    """Sign in and return fresh :class:`Credentials` (``http`` carries the server's ``base_url``)."""
    body: dict[str, Any] = {"username": username, "password": password}
    if device_id is not None:
        body["device_id"] = str(device_id)
    credentials = Credentials(device_token=device_token)
    credentials.update(await _post_tokens(http, LOGIN_PATH, body))
    return credentials


async def refresh_session(http: httpx.AsyncClient, credentials: Credentials) -> None:
    """Rotate the tokens of ``credentials`` in place via ``/api/auth/refresh``."""
    if not credentials.refresh_token:
        raise AuthenticationRequired("no refresh token: sign in again", status=401, code="unauthenticated")
    tokens = await _post_tokens(http, REFRESH_PATH, {"refresh_token": credentials.refresh_token})
    credentials.update(tokens)
