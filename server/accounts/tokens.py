"""Access tokens (short-lived JWTs), refresh tokens and device credentials.

Access tokens carry only identities (user, session, device); roles are read from the database on each
request so that a removed role or a revoked device takes effect at once. Refresh tokens and device
credentials are random strings of which the server keeps only a SHA-256.

A verified access token's claims are remembered until the token expires (a bounded LRU per
`TokenService`, hence per secret), so a device that calls every few seconds does not pay for the
signature check each time; whether the sign-in is still live is checked on every request regardless.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from server.errors import Unauthenticated

DEVICE_PREFIX = "kd_"
REFRESH_PREFIX = "rt_"


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID
    device_id: uuid.UUID


VERIFIED_TOKENS_KEPT = 4096


class TokenService:
    def __init__(self, secret: str, access_seconds: int) -> None:
        self._secret = secret
        self.access_seconds = access_seconds
        # token → (claims, exp as a Unix time): tokens whose signature and claims were checked.
        self._verified: OrderedDict[str, tuple[AccessClaims, float]] = OrderedDict()

    def derive_key(self, purpose: str) -> bytes:
        """A key for one other purpose (e.g. SSE tickets), derived so it can never pass as this one."""
        return hmac.new(self._secret.encode(), f"kaari:{purpose}".encode(), hashlib.sha256).digest()

    def issue_device_cookie(self, username: str, days: int) -> str:
        """A browser's proof that `username` signed in on it: `username.expiry.mac`, nothing secret in it."""
        expiry = int(time.time()) + days * 86400
        body = f"{username.lower().encode().hex()}.{expiry}"
        mac = hmac.new(self.derive_key("device-cookie"), body.encode(), hashlib.sha256).hexdigest()[:32]
        return f"{body}.{mac}"

    def device_cookie_user(self, cookie: str) -> str | None:
        """The username a device cookie was issued to, if it is ours and not expired."""
        body, _, mac = cookie.rpartition(".")
        expected = hmac.new(self.derive_key("device-cookie"), body.encode(), hashlib.sha256).hexdigest()[:32]
        if not body or not hmac.compare_digest(mac, expected):
            return None
        name, _, expiry = body.partition(".")
        try:
            if int(expiry) < time.time():
                return None
            return bytes.fromhex(name).decode()
        except ValueError:
            return None

    def issue_access(self, user_id: uuid.UUID, session_id: uuid.UUID, device_id: uuid.UUID) -> str:
        now = datetime.now(UTC)
        claims = {
            "sub": str(user_id),
            "sid": str(session_id),
            "did": str(device_id),
            "iat": now,
            "exp": now + timedelta(seconds=self.access_seconds),
            "typ": "access",
        }
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def decode_access(self, token: str) -> AccessClaims:
        known = self._verified.get(token)
        if known is not None:
            claims, expires = known
            if time.time() < expires:
                self._verified.move_to_end(token)
                return claims
            del self._verified[token]  # expired: the full check below says so
        return self._decode_access(token)

    def _decode_access(self, token: str) -> AccessClaims:
        try:
            claims = jwt.decode(
                token, self._secret, algorithms=["HS256"], options={"require": ["exp", "sub", "sid", "did"]}
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("The access token has expired.", code="token_expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated("The access token is not valid.") from exc
        if claims.get("typ") != "access":
            raise Unauthenticated("The access token is not valid.")
        try:
            access = AccessClaims(
                uuid.UUID(claims["sub"]), uuid.UUID(claims["sid"]), uuid.UUID(claims["did"])
            )
        except ValueError as exc:
            raise Unauthenticated("The access token is not valid.") from exc
        self._verified[token] = (access, float(claims["exp"]))
        if len(self._verified) > VERIFIED_TOKENS_KEPT:
            self._verified.popitem(last=False)
        return access


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_refresh_token() -> tuple[str, str]:
    token = REFRESH_PREFIX + secrets.token_urlsafe(32)
    return token, digest(token)


def new_device_credential(device_id: uuid.UUID) -> tuple[str, str]:
    secret = secrets.token_urlsafe(32)
    return f"{DEVICE_PREFIX}{device_id.hex}_{secret}", digest(secret)


def parse_device_credential(credential: str) -> tuple[uuid.UUID, str]:
    """Split `kd_<device hex>_<secret>` into the device id and the secret's digest."""
    try:
        device_hex, secret = credential.removeprefix(DEVICE_PREFIX).split("_", 1)
        return uuid.UUID(hex=device_hex), digest(secret)
    except ValueError as exc:
        raise Unauthenticated("The device credential is not valid.") from exc


def same_digest(a: str | None, b: str) -> bool:
    return a is not None and hmac.compare_digest(a, b)
