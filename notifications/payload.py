"""The push payload: what the service worker receives (the contract is in docs/notifications.md).

A push is a hint that wakes the app, never the data itself: the worker shows `title` and `body`, groups by
`tag` (a newer notification with the same tag replaces the older one on screen), opens `url` on a click,
and syncs. `kind` and `ids` let the app open the right view. The plaintext is at most 3,993 bytes: with
aes128gcm's 86-byte header and 17 bytes of padding and tag that is the 4,096 bytes every push service must
accept (RFC 8291 §4). A longer body is shortened to fit; what cannot fit is refused, never sent cut off.
"""

from __future__ import annotations

from typing import Any

import msgspec

MAX_PAYLOAD_BYTES = 3993
PAYLOAD_VERSION = 1


class PayloadTooLarge(ValueError):
    pass


class Payload(msgspec.Struct, kw_only=True):
    v: int = PAYLOAD_VERSION
    id: str
    kind: str
    title: str
    body: str
    tag: str
    url: str
    ids: dict[str, Any]
    revision: int
    created_at: str
    """When the notification was first made (ISO 8601, UTC)."""
    renotify: bool = False
    """True for an update of a notification already shown (a coalesced burst): replace it quietly."""


_encoder = msgspec.json.Encoder()


def encode(payload: Payload) -> bytes:
    """The JSON bytes, shortening `body` if needed; `PayloadTooLarge` if even the shortest does not fit."""
    data, body = _encoder.encode(payload), payload.body
    for _ in range(4):  # escapes in the JSON may need a second, smaller cut
        over = len(data) - MAX_PAYLOAD_BYTES
        if over <= 0:
            return data
        raw = body.encode()
        if over + 3 >= len(raw):
            break
        # Cut on a character boundary and mark the cut; the full text is in the app's inbox.
        body = raw[: len(raw) - over - 3].decode(errors="ignore") + "…"
        data = _encoder.encode(msgspec.structs.replace(payload, body=body))
    raise PayloadTooLarge(f"The push payload is {len(data)} bytes; at most {MAX_PAYLOAD_BYTES} can be sent.")
