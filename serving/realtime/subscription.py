"""One dashboard connection's place in the hub: a bounded backlog of frames waiting to be sent.

The hub never waits for a client. It offers each frame; a connection whose backlog has reached
`max_pending` is a slow consumer and is dropped (its backlog discarded, its sender woken with
`None`), so one stalled phone on hotel Wi-Fi cannot grow the server's memory without bound.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator


class Subscription:
    """Frames for one connection: one supplier's (or, for `supplier_id=None`, every supplier's)."""

    __slots__ = ("_queue", "dropped", "max_pending", "supplier_id")

    def __init__(self, supplier_id: str | None, max_pending: int) -> None:
        if max_pending < 1:
            raise ValueError(f"max_pending must be >= 1; got {max_pending}")
        self.supplier_id = supplier_id
        self.max_pending = max_pending
        self.dropped = False
        # Unbounded on purpose: `offer` enforces the bound and still has room for the sentinel.
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()

    @property
    def pending(self) -> int:
        """Frames offered but not yet taken by the sender."""
        return self._queue.qsize()

    def offer(self, frame: str) -> bool:
        """Queue a frame without waiting; False (and the subscription dropped) when it is full."""
        if self.dropped:
            return False
        if self._queue.qsize() >= self.max_pending:
            self.drop()
            return False
        self._queue.put_nowait(frame)
        return True

    def drop(self) -> None:
        """Drop a slow consumer: discard its backlog and end its feed."""
        self.dropped = True
        self.end()

    def end(self) -> None:
        """End the feed (the hub is stopping): discard the backlog, wake the sender with `None`."""
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(None)

    async def frames(self) -> AsyncIterator[str]:
        """Frames in order until the subscription is dropped."""
        while (frame := await self._queue.get()) is not None:
            yield frame
