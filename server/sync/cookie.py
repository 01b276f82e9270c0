"""The pull cookie: opaque to devices, a small MessagePack struct to the server.

It says how far the replica has read the change log (`v`), which scopes it holds (`scopes`), the client's
`last_seq` when it was issued (`ls`, so the next pull reports every outcome after it), and, while a
snapshot is being paged out, which scopes it covers and the last record sent (`snap`).

It is signed (a MAC keyed with a key derived from the token secret): a device can only hand back a cookie
the server made, so a forged cursor (a version past the head, a foreign scope, a snapshot position) is
treated like an unknown cookie, with a reset. Rotating the token secret resets every replica once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

import msgspec

SCHEMA_VERSION = 1


class Snapshot(msgspec.Struct, array_like=True, forbid_unknown_fields=True):
    scopes: list[str]
    after_type: str = ""
    after_id: str = ""


class Cookie(msgspec.Struct, array_like=True, forbid_unknown_fields=True):
    v: int
    scopes: list[str]
    ls: int
    sv: int = SCHEMA_VERSION
    snap: Snapshot | None = None


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Cookie)


MAC_BYTES = 16


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).digest()[:MAC_BYTES]


def encode_cookie(cookie: Cookie, key: bytes) -> str:
    payload = _encoder.encode(cookie)
    return base64.urlsafe_b64encode(payload + _mac(key, payload)).decode().rstrip("=")


def _raw(text: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


def decode_cookie(text: str, key: bytes) -> Cookie | None:
    """The cookie, or None if it is not one of ours (the client then gets a reset)."""
    raw = _raw(text)
    if raw is None or len(raw) <= MAC_BYTES:
        return None
    payload, mac = raw[:-MAC_BYTES], raw[-MAC_BYTES:]
    if not hmac.compare_digest(mac, _mac(key, payload)):
        return None
    try:
        return _decoder.decode(payload)
    except (ValueError, msgspec.DecodeError):
        return None


def peek_cookie(text: str) -> Cookie:
    """The cookie's content without checking its MAC: for tests and diagnostics, never for serving."""
    raw = _raw(text)
    assert raw is not None
    return _decoder.decode(raw[:-MAC_BYTES])
