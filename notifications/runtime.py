"""The process's push sender: the VAPID keys and one pooled HTTP client per event loop, made on first use.

The web server configures it from its settings at start (`configure`); a job worker that did not gets
the settings from the environment on first use. An HTTP client belongs to the event loop it was made on:
a process normally has one, tests have several at once (the test's and the app's), each with its own
client, closed by `close()` on its loop.
"""

from __future__ import annotations

import asyncio
import weakref

from notifications.sender import PushSender
from notifications.vapid import load_keys
from server import settings as process_settings
from server.settings import Settings

_senders: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, PushSender] = weakref.WeakKeyDictionary()


def configure(settings: Settings) -> None:
    """Use `settings` (VAPID key, timeouts, concurrency) for the senders made from now on; makes the VAPID
    key if it is new."""
    load_keys(settings)  # first start: generate the key now, not on the first push
    process_settings.use(settings)
    _senders.clear()


def settings() -> Settings:
    return process_settings.current()


def sender() -> PushSender:
    loop = asyncio.get_running_loop()
    made = _senders.get(loop)
    if made is None:
        current = settings()
        made = _senders[loop] = PushSender(
            load_keys(current),
            concurrency=current.push_concurrency,
            per_origin=current.push_concurrency_per_origin,
            timeout=current.push_timeout_seconds,
        )
    return made


async def close() -> None:
    """Close this event loop's HTTP client (the app's and the worker's shutdown)."""
    made = _senders.pop(asyncio.get_running_loop(), None)
    if made is not None:
        await made.close()
