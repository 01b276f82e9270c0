"""Request and response bodies of the accounts routes (protocol §9)."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec

Username = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    username: Username
    password: Password
    device_id: uuid.UUID | None = None


class RefreshRequest(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class QueuedReplica(msgspec.Struct, forbid_unknown_fields=True):
    client_id: uuid.UUID
    last_seq: Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]


class LogoutRequest(msgspec.Struct, forbid_unknown_fields=True):
    """What the signing-out app had queued: each of the user's replicas on this device and its highest seq
    (protocol §2). A shared tablet's device credential may flush those mutations, and nothing after them."""

    replicas: Annotated[list[QueuedReplica], msgspec.Meta(max_length=16)] = []


class GrantOut(msgspec.Struct):
    role: str
    area_id: uuid.UUID | None = None
    unit_id: uuid.UUID | None = None


class UserOut(msgspec.Struct):
    id: uuid.UUID
    username: str
    display_name: str
    language: str
    roles: list[GrantOut]
    active: bool = True


class TokenResponse(msgspec.Struct):
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str
    device_id: uuid.UUID
    user: UserOut


class NewGrant(msgspec.Struct, forbid_unknown_fields=True):
    """A role to give: in the whole region (no area, no unit), in one area, or in one unit."""

    role: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    area_id: uuid.UUID | None = None
    unit_id: uuid.UUID | None = None


class NewUser(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9._-]{2,64}$")]
    display_name: Annotated[str, msgspec.Meta(min_length=1, max_length=120, pattern=r"^[^\x00]*$")]
    password: Annotated[str, msgspec.Meta(min_length=8, max_length=1024)]
    # NewGrant, not GrantOut: a misspelt field inside a role (`unit_code`) is refused, never dropped.
    roles: Annotated[list[NewGrant], msgspec.Meta(max_length=32)] = []
    language: Annotated[str, msgspec.Meta(pattern=r"^(fi|sv|en)$")] = "fi"


class NewPassword(msgspec.Struct, forbid_unknown_fields=True):
    password: Annotated[str, msgspec.Meta(min_length=8, max_length=1024)]
