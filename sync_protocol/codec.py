"""JSON and MessagePack encodings of the protocol messages, chosen by ``Content-Type`` / ``Accept``.

``application/json`` is the default. MessagePack is ``application/msgpack``; ``application/x-msgpack`` and
``application/vnd.msgpack`` are accepted as aliases. Decoders are cached per ``(type, format)``.

A tz-aware :class:`~datetime.datetime` inside a free-form dict (mutation ``args``, record ``data``) is
encoded by MessagePack as a timestamp, which keeps the instant but not the offset. Clients that care about
the offset ("contact at 14:05 local time") send such values as RFC 3339 strings, as the reference client
does via :func:`to_wire`; typed fields are unaffected.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

import msgspec

__all__ = [
    "JSON",
    "MSGPACK",
    "MSGPACK_TYPES",
    "NotAcceptable",
    "UnsupportedMediaType",
    "decode",
    "encode",
    "media_type",
    "negotiate",
    "to_wire",
]

T = TypeVar("T")

JSON = "application/json"
MSGPACK = "application/msgpack"
MSGPACK_TYPES = frozenset({MSGPACK, "application/x-msgpack", "application/vnd.msgpack"})

_json_encoder = msgspec.json.Encoder()
_msgpack_encoder = msgspec.msgpack.Encoder()


class UnsupportedMediaType(ValueError):
    """The request's ``Content-Type`` is neither JSON nor MessagePack (HTTP 415)."""


class NotAcceptable(ValueError):
    """Nothing in ``Accept`` is JSON or MessagePack (HTTP 406)."""


def media_type(content_type: str | None, default: str = JSON) -> str:
    """Normalise a ``Content-Type`` header to :data:`JSON` or :data:`MSGPACK`.

    Parameters (``; charset=utf-8``) and case are ignored; a missing header means ``default``.
    """
    if not content_type:
        return default
    value = content_type.split(";", 1)[0].strip().lower()
    if value == JSON or (value.startswith("application/") and value.endswith("+json")):
        return JSON
    if value in MSGPACK_TYPES:
        return MSGPACK
    raise UnsupportedMediaType(f"unsupported media type {value!r}; use {JSON} or {MSGPACK}")


def negotiate(accept: str | None, default: str = JSON) -> str:
    """Choose the response encoding from an ``Accept`` header (q-values honoured, ties keep order).

    No header, ``*/*`` or ``application/*`` give ``default``; raises :class:`NotAcceptable` when every
    listed type is unsupported or refused with ``q=0``.
    """
    if not accept or not accept.strip():
        return default
    best: tuple[float, int, str] | None = None
    for position, part in enumerate(accept.split(",")):
        kind, *params = (p.strip() for p in part.split(";"))
        kind = kind.lower()
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        if kind in ("*/*", "application/*"):
            chosen = default
        elif kind == JSON:
            chosen = JSON
        elif kind in MSGPACK_TYPES:
            chosen = MSGPACK
        else:
            continue
        if best is None or quality > best[0]:
            best = (quality, position, chosen)
    if best is None:
        raise NotAcceptable(f"none of {accept!r} is available; use {JSON} or {MSGPACK}")
    return best[2]


def encode(obj: Any, content_type: str = JSON) -> bytes:
    """Encode ``obj`` (a Struct or builtins) for ``content_type``."""
    if media_type(content_type) == MSGPACK:
        return _msgpack_encoder.encode(obj)
    return _json_encoder.encode(obj)


@functools.lru_cache(maxsize=256)
def _decoder(type_: Any, fmt: str) -> msgspec.json.Decoder[Any] | msgspec.msgpack.Decoder[Any]:
    if fmt == MSGPACK:
        return msgspec.msgpack.Decoder(type_)
    return msgspec.json.Decoder(type_)


def decode(body: bytes | bytearray | memoryview, type_: type[T], content_type: str | None = JSON) -> T:
    """Decode and validate ``body`` as ``type_``.

    Raises :class:`msgspec.ValidationError` for a well-formed body of the wrong shape (unknown fields in a
    request included) and :class:`msgspec.DecodeError` (its base class) for a malformed one.
    """
    return _decoder(type_, media_type(content_type)).decode(body)


def to_wire(value: Any) -> Any:
    """``value`` as JSON-ready builtins: Structs to dicts, dates, times and UUIDs to strings.

    Use it for free-form payloads (mutation ``args``) so both encodings carry the same values.
    """
    return msgspec.to_builtins(value)
