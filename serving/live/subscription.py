"""One dashboard connection's place in the hub: frames sent at once, or a bounded backlog.

The hub hands each frame to every subscription in one pass, and a subscription sends it on the
spot: with uvicorn's WebSocket implementations a send to a client that keeps up writes to the
socket and completes without suspending, so 10,000 deliveries cost one pass of plain calls
instead of 10,000 queue hand-offs and task wake-ups. Only a send that must wait (the client's
socket buffer is full) is finished by a task of its own, and the frames offered meanwhile queue
behind it. A connection whose backlog reaches `max_pending` is a slow consumer and is dropped
(backlog discarded, closed with 1013 once its pending send completes), so one stalled phone on
hotel Wi-Fi can neither grow the server's memory nor delay anyone else's frames.
"""

from __future__ import annotations

import asyncio
import types
from collections import deque
from collections.abc import Coroutine, Generator
from typing import Any, Protocol

from starlette.websockets import WebSocketDisconnect

# 1013 "try again later": what a client sees when it was too slow or live counters are down.
CLOSE_TRY_AGAIN_LATER = 1013
CLOSE_SERVICE_RESTART = 1012
# 1008 "policy violation": the credential the feed was opened with was revoked or expired.
CLOSE_POLICY_VIOLATION = 1008
# What a send raises when the client has gone (uvicorn's ClientDisconnected is an OSError).
GONE = (WebSocketDisconnect, RuntimeError, OSError)


class Connection(Protocol):
    """What a subscription needs of a WebSocket (Starlette's `WebSocket` is one)."""

    async def send_text(self, data: str) -> None:
        """Send one text frame."""

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        """Send a close frame."""


@types.coroutine
def _resumed(delivery: Coroutine[Any, Any, None], waiting_on: Any) -> Generator[Any, Any, None]:
    """Go on with a coroutine that suspended on `waiting_on` outside any task, in the awaiter's.

    The coroutine was started by a plain `send(None)` (see `Subscription._deliver`); this
    yields what it waited on to the awaiting task, as `await` would have, and passes the task's
    wake-ups (and cancellation) back into it. Python 3.12's eager tasks do the same natively.
    """
    while True:
        try:
            woken = yield waiting_on
        except BaseException as error:  # cancellation included: the coroutine gets it
            try:
                waiting_on = delivery.throw(error)
            except StopIteration:
                return
        else:
            try:
                waiting_on = delivery.send(woken)
            except StopIteration:
                return


class Subscription:
    """Frames for one connection: one supplier's (or, for `supplier_id=None`, every supplier's)."""

    __slots__ = (
        "_backlog",
        "_busy",
        "_close_with",
        "_connection",
        "_sender",
        "dropped",
        "ended",
        "max_pending",
        "supplier_id",
    )

    def __init__(self, supplier_id: str | None, connection: Connection, max_pending: int) -> None:
        if max_pending < 1:
            raise ValueError(f"max_pending must be >= 1; got {max_pending}")
        self.supplier_id = supplier_id
        self.max_pending = max_pending
        self.dropped = False
        self.ended = False
        self._connection = connection
        self._backlog: deque[str] = deque()
        # Until `start` has sent the snapshot, frames wait in the backlog: a delta offered
        # while the snapshot was being read must follow it, not overtake it. Later, `_busy`
        # means a send is waiting for the client, and whoever waits sends the backlog after it.
        self._busy = True
        self._close_with: tuple[int, str] | None = None
        self._sender: asyncio.Task[None] | None = None

    @property
    def pending(self) -> int:
        """Frames offered but not yet handed to the connection."""
        return len(self._backlog)

    def offer(self, frame: str) -> bool:
        """Send a frame now or queue it; False when the subscription is (now) a dropped one."""
        if self.ended:
            return not self.dropped
        if not self._busy:
            self._deliver(self._connection.send_text(frame))
            return True
        if len(self._backlog) >= self.max_pending:
            self.drop()
            return False
        self._backlog.append(frame)
        return True

    async def start(self, snapshot: str) -> None:
        """Send the snapshot, then what was offered meanwhile; later frames go out as offered.

        Raises what the connection raises when the client has gone.
        """
        await self._connection.send_text(snapshot)
        await self._send_backlog()

    def drop(self) -> None:
        """Drop a slow consumer: discard its backlog and close its feed with 1013."""
        self.dropped = True
        self._end(CLOSE_TRY_AGAIN_LATER, f"too slow: {self.max_pending} frames were waiting")

    def end(self) -> None:
        """End the feed because the hub is stopping: discard the backlog, close with 1012."""
        self._end(CLOSE_SERVICE_RESTART, "server stopping")

    def refuse(self, reason: str) -> None:
        """End the feed because its key was revoked or its token expired: close with 1008."""
        self._end(CLOSE_POLICY_VIOLATION, reason)

    def cancel(self) -> None:
        """The connection is over: take no more frames, abandon a send waiting for the client."""
        self._stop_taking()
        if self._sender is not None:
            self._sender.cancel()

    def _end(self, code: int, reason: str) -> None:
        if self.ended:
            return
        self._stop_taking()
        if self._busy:
            self._close_with = (code, reason)  # closed by whoever is sending, once it is done
        else:
            self._deliver(self._connection.close(code, reason))

    def _stop_taking(self) -> None:
        self.ended = True
        self._backlog.clear()

    def _deliver(self, delivery: Coroutine[Any, Any, None]) -> None:
        """Run a send to completion now, or, when it must wait for the client, in a task."""
        try:
            waiting_on = delivery.send(None)
        except StopIteration:
            return
        except GONE:
            self._stop_taking()
            return
        self._busy = True
        self._sender = asyncio.ensure_future(self._finish(delivery, waiting_on))

    async def _finish(self, delivery: Coroutine[Any, Any, None], waiting_on: Any) -> None:
        try:
            await _resumed(delivery, waiting_on)
            await self._send_backlog()
        except GONE:
            self._stop_taking()
        finally:
            self._sender = None

    async def _send_backlog(self) -> None:
        while self._backlog:
            await self._connection.send_text(self._backlog.popleft())
        if self._close_with is not None:
            await self._connection.close(*self._close_with)
        self._busy = False
