"""The process's push sender: the VAPID keys and one pooled HTTP client, made once per process.

The web server configures it from its settings at start (`configure`); a job worker that did not gets
the settings from the environment on first use. The HTTP client belongs to the event loop it was made on,
so a new loop (a test's) gets its own.
"""

from __future__ import annotations

import asyncio

from notifications.sender import PushSender
from notifications.vapid import load_keys
from server.settings import Settings

_settings: Settings | None = None
_sender: tuple[asyncio.AbstractEventLoop, PushSender] | None = None


def configure(settings: Settings) -> None:
    """Use `settings` (VAPID key, timeouts, concurrency) from now on; makes the VAPID key if it is new."""
    global _settings, _sender
    load_keys(settings)  # first start: generate the key now, not on the first push
    _settings, _sender = settings, None


def settings() -> Settings:
    global _settings
    if _settings is None:
        _settings = Settings.from_env()
    return _settings


def sender() -> PushSender:
    global _sender
    loop = asyncio.get_running_loop()
    if _sender is None or _sender[0] is not loop:
        current = settings()
        _sender = (
            loop,
            PushSender(
                load_keys(current),
                concurrency=current.push_concurrency,
                timeout=current.push_timeout_seconds,
            ),
        )
    return _sender[1]


async def close() -> None:
    """Close the HTTP client (the app's shutdown)."""
    global _sender
    if _sender is not None and _sender[0] is asyncio.get_running_loop():
        await _sender[1].close()
    _sender = None
