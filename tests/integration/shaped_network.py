"""A rural network on loopback: an asyncio TCP proxy that adds latency, caps the bandwidth and resets
connections.

Each chunk read from one side is delivered to the other `latency ± jitter` seconds later (in order: a
chunk never overtakes the one before it), through a token bucket per direction shared by every
connection (one slow link, not a fast link per connection). Connections are cut with a TCP reset once a
random number of bytes (up to `reset_within`) has crossed them in the direction chosen for them (`Shape`):
a request lost on the way up, or an answer lost on the way down after the server committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
from dataclasses import dataclass, field


@dataclass
class Shape:
    latency: float = 2.0
    jitter: float = 1.5
    bytes_per_second: float = 8 * 1024
    # The client keeps its connection alive, so cuts go by connection: each of the first `first_resets`
    # is cut (alternately up and down: odd ones while the request goes up, even ones while the answer
    # comes down), then every `reset_every`-th.
    first_resets: int = 4
    reset_every: int = 3
    reset_within: int = 16 * 1024
    seed: int = 19


class _Link:
    """One direction's bandwidth: a chunk waits for the chunks before it, of every connection."""

    def __init__(self, bytes_per_second: float) -> None:
        self.rate = bytes_per_second
        self.free_at = 0.0

    def transmit_at(self, now: float, size: int) -> float:
        """When a chunk of `size` bytes handed over `now` has fully crossed the link."""
        self.free_at = max(self.free_at, now) + size / self.rate
        return self.free_at


@dataclass
class ShapedProxy:
    upstream_port: int
    shape: Shape = field(default_factory=Shape)
    connections: int = 0
    resets: dict[str, int] = field(default_factory=lambda: {"up": 0, "down": 0})
    bytes: dict[str, int] = field(default_factory=lambda: {"up": 0, "down": 0})

    def __post_init__(self) -> None:
        self._rng = random.Random(self.shape.seed)
        self._links = {d: _Link(self.shape.bytes_per_second) for d in ("up", "down")}
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        cut: tuple[str, int] | None = None
        if number <= self.shape.first_resets or (
            self.shape.reset_every and number % self.shape.reset_every == 0
        ):
            cut = ("up" if number % 2 else "down", self._rng.randint(1, self.shape.reset_within))
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            _reset(client_w)
            return
        writers = (client_w, server_w)
        pipes = [
            asyncio.create_task(self._pipe("up", client_r, server_w, cut, writers)),
            asyncio.create_task(self._pipe("down", server_r, client_w, cut, writers)),
        ]
        self._tasks.update(pipes)
        try:
            await asyncio.gather(*pipes, return_exceptions=True)
        finally:
            self._tasks.difference_update(pipes)
            for writer in writers:
                writer.close()

    async def _pipe(
        self,
        direction: str,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        cut: tuple[str, int] | None,
        writers: tuple[asyncio.StreamWriter, ...],
    ) -> None:
        """Read as the data comes; a sender delivers each chunk when its latency has passed (pipelined,
        as on a real link) and the link has room."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes | None]] = asyncio.Queue()
        sender = asyncio.create_task(self._send(direction, queue, writer, writers))
        due, crossed = 0.0, 0
        try:
            while chunk := await reader.read(4096):
                delay = max(0.0, self.shape.latency + self._rng.uniform(-1, 1) * self.shape.jitter)
                due = max(due, loop.time() + delay)
                if cut is not None and cut[0] == direction and crossed + len(chunk) >= cut[1]:
                    queue.put_nowait((due, chunk[: cut[1] - crossed]))
                    queue.put_nowait((due, b""))  # b"": reset here
                    break
                queue.put_nowait((due, chunk))
                crossed += len(chunk)
            else:
                queue.put_nowait((due, None))  # None: the other side closed; pass the FIN on
        except (ConnectionError, OSError):
            queue.put_nowait((due, b""))
        await sender

    async def _send(
        self,
        direction: str,
        queue: asyncio.Queue[tuple[float, bytes | None]],
        writer: asyncio.StreamWriter,
        writers: tuple[asyncio.StreamWriter, ...],
    ) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                due, chunk = await queue.get()
                await asyncio.sleep(max(0.0, due - loop.time()))
                if chunk is None:
                    writer.write_eof()
                    return
                if not chunk:
                    self.resets[direction] += 1
                    for w in writers:
                        _reset(w)
                    return
                await asyncio.sleep(
                    max(0.0, self._links[direction].transmit_at(loop.time(), len(chunk)) - loop.time())
                )
                writer.write(chunk)
                await writer.drain()
                self.bytes[direction] += len(chunk)
        except (ConnectionError, OSError):
            for w in writers:
                _reset(w)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST rather than FIN, as a dropped mobile link looks to the other end."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
