"""The pull cookie: opaque to devices, a small MessagePack struct to the server.

It says how far the replica has read the change log (`v`), which scopes it holds (`scopes`), the client's
`last_seq` when it was issued (`ls`, so the next pull reports every outcome after it), and, while a
snapshot is being paged out, which scopes it covers and the last record sent (`snap`).
"""

from __future__ import annotations

import base64
import binascii

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


def encode_cookie(cookie: Cookie) -> str:
    return base64.urlsafe_b64encode(_encoder.encode(cookie)).decode().rstrip("=")


def decode_cookie(text: str) -> Cookie | None:
    """The cookie, or None if it is not one of ours (the client then gets a reset)."""
    try:
        return _decoder.decode(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError, msgspec.DecodeError):
        return None
