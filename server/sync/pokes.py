"""Pokes (protocol §5): after a commit, tell the devices holding the touched scopes to pull.

Built on Litestar channels: the memory backend on a single node, Redis pub/sub when `REDIS_URL` is set,
so a push handled by one web process pokes devices connected to another. A poke carries only the
change-log version; the device pulls the data itself. `server.sync.stream` streams them as SSE.
"""

from __future__ import annotations

from collections.abc import Iterable

from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend

from server.settings import Settings
from server.sync import metrics


def scope_channel(scope: str) -> str:
    return f"scope:{scope}"


def channels_plugin(settings: Settings) -> ChannelsPlugin:
    if settings.redis_url:
        from litestar.channels.backends.redis import RedisChannelsPubSubBackend
        from redis.asyncio import Redis

        backend = RedisChannelsPubSubBackend(redis=Redis.from_url(settings.redis_url), key_prefix="kaari")
    else:
        backend = MemoryChannelsBackend()
    return ChannelsPlugin(backend=backend, arbitrary_channels_allowed=True)


class Pokes:
    def __init__(self, plugin: ChannelsPlugin) -> None:
        self.plugin = plugin

    async def publish(self, scopes: Iterable[str], version: int | None = None) -> None:
        """Poke every channel of `scopes` with the committed change-log `version`."""
        channels = [scope_channel(s) for s in scopes]
        if channels:
            self.plugin.publish({"version": version or 0}, channels)
            metrics.POKES.inc(len(channels))
