"""VAPID (RFC 8292): the server's key pair, and the signed `Authorization` header per push-service origin.

The private key is a P-256 scalar, kept as 32 bytes in URL-safe base64 (the format `web-push
generate-vapid-keys` prints): from `KAARI_VAPID_PRIVATE_KEY`, or generated on first start into
`$KAARI_DATA_DIR/vapid-private-key` (0600) like the other secrets (`server.keys`). The public key (65 bytes,
uncompressed point, URL-safe base64) is what browsers pass to `pushManager.subscribe` as
`applicationServerKey`; `GET /api/notifications/vapid-public-key` and `kaari vapid keys` print it.

A JWT is signed once per push-service origin (`aud`) and reused until an hour before it expires: the
expiry is 12 hours (RFC 8292 allows at most 24), so a token is used for about 11 hours. Claims are built
fresh for every origin: pywebpush mutates the claims dict it is given, so a shared one would carry one
push service's `aud` to another.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from server.keys import read_or_create_secret
from server.settings import Settings

KEY_FILE = "vapid-private-key"
TOKEN_SECONDS = 12 * 3600
RENEW_BEFORE_SECONDS = 3600


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def generate_private_key() -> str:
    """A new P-256 private key as 32 bytes of URL-safe base64."""
    key = ec.generate_private_key(ec.SECP256R1())
    return b64url(key.private_numbers().private_value.to_bytes(32, "big"))


def load_private_key(text: str) -> ec.EllipticCurvePrivateKey:
    """The key from its URL-safe base64 scalar, or from a PEM (what `vapid --gen` writes)."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise ValueError("The VAPID key must be a P-256 (prime256v1) key.")
        return key
    raw = b64url_decode(text)
    if len(raw) != 32:
        raise ValueError("The VAPID private key must be 32 bytes in URL-safe base64 (or a PEM).")
    return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())


def public_key_of(key: ec.EllipticCurvePrivateKey) -> str:
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(point)


@dataclass
class VapidKeys:
    """The server's VAPID identity and its per-origin token cache."""

    private_key: ec.EllipticCurvePrivateKey
    subject: str
    _tokens: dict[str, tuple[float, str]] = field(default_factory=dict)

    @property
    def public_key(self) -> str:
        return public_key_of(self.private_key)

    def authorization(self, origin: str, now: float | None = None) -> str:
        """The `Authorization: vapid t=…, k=…` value for a push service's origin (`https://host[:port]`)."""
        now = time.time() if now is None else now
        cached = self._tokens.get(origin)
        if cached is not None and cached[0] - RENEW_BEFORE_SECONDS > now:
            return cached[1]
        expires = int(now) + TOKEN_SECONDS
        claims = {"aud": origin, "sub": self.subject, "exp": expires}  # a fresh dict: see the module doc
        header = Vapid02(private_key=self.private_key).sign(claims)["Authorization"]
        self._tokens[origin] = (expires, header)
        return header


def load_keys(settings: Settings) -> VapidKeys:
    """The configured key (`KAARI_VAPID_PRIVATE_KEY`), or the one in the data directory, made on first use."""
    text = settings.vapid_private_key or read_or_create_secret(
        settings.data_dir, KEY_FILE, generate=generate_private_key
    )
    return VapidKeys(load_private_key(text), settings.vapid_subject)
