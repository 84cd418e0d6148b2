"""Fixtures of the live-feed tests: Redis db 6 (this suite's own), emptied around each test."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
import redis.asyncio as redis
import uvicorn
from fastapi import FastAPI

from serving.live.hub import RealtimeHub
from serving.live.subscription import Subscription
from wedsync.events.live import publish_live
from wedsync.events.store import StoredEvent

REALTIME_REDIS_URL = "redis://127.0.0.1:6379/6"
FRAME_TIMEOUT_SECONDS = 5.0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def live_redis() -> AsyncIterator[redis.Redis]:
    """A client on the suite's Redis database, flushed before and after the test."""
    client = redis.Redis.from_url(REALTIME_REDIS_URL)
    await client.flushdb()
    try:
        yield client
    finally:
        await client.flushdb()
        await client.aclose()


def unique_supplier() -> str:
    """A supplier id no other test run uses: pub/sub channels are shared by every Redis db."""
    return f"sup_9{uuid.uuid4().int % 100_000:05d}"


def stored(supplier_id: str, event_type: str, n: int = 1) -> list[StoredEvent]:
    """`n` newly stored events, as the ingest path hands them to `publish_live`."""
    today = dt.datetime.now(dt.UTC).date()
    return [StoredEvent(str(uuid.uuid4()), event_type, supplier_id, today) for _ in range(n)]


async def publish(client: redis.Redis, events: list[StoredEvent]) -> None:
    """Publish exactly as the ingest path does after a commit."""
    assert await publish_live(client, events)


class RecordingConnection:
    """A dashboard connection that keeps the frames it is sent, in order.

    With `stall_after=n`, sends after the n-th wait until `resume()`, as a send to a client
    that stopped reading waits for its socket buffer to drain.
    """

    def __init__(self, stall_after: int | None = None) -> None:
        self.frames: asyncio.Queue[str] = asyncio.Queue()
        self.closed_with: tuple[int, str | None] | None = None
        self._sent = 0
        self._stall_after = stall_after
        self._resumed = asyncio.Event()

    async def send_text(self, data: str) -> None:
        """Keep the frame (after `resume()`, for a stalled connection)."""
        self._sent += 1
        if self._stall_after is not None and self._sent > self._stall_after:
            await self._resumed.wait()
        self.frames.put_nowait(data)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        """Record the close frame."""
        self.closed_with = (code, reason)

    def resume(self) -> None:
        """Let the stalled sends complete (the client read again)."""
        self._resumed.set()


@dataclass
class Dashboard:
    """A hub subscription and the connection it sends to."""

    subscription: Subscription
    connection: RecordingConnection

    @property
    def received(self) -> int:
        """Frames the connection has and nobody read yet."""
        return self.connection.frames.qsize()


async def follow(
    hub: RealtimeHub, supplier_id: str | None, stall_after: int | None = None
) -> Dashboard:
    """Subscribe a recording connection, as the route does, and consume its snapshot."""
    connection = RecordingConnection(None if stall_after is None else stall_after + 1)
    subscription = hub.subscribe(supplier_id, connection)
    await subscription.start('{"type":"snapshot"}')
    assert orjson.loads(connection.frames.get_nowait())["type"] == "snapshot"
    return Dashboard(subscription, connection)


async def next_frame(dashboard: Dashboard, supplier_id: str | None = None) -> dict[str, Any]:
    """The dashboard's next frame (of `supplier_id` only, when given), decoded.

    A platform feed hears every publisher on the Redis server (pub/sub ignores the database
    number), so tests following everyone filter on the supplier they published for.
    """

    async def matching() -> dict[str, Any]:
        while True:
            decoded: dict[str, Any] = orjson.loads(await dashboard.connection.frames.get())
            if supplier_id is None or decoded.get("supplier_id") == supplier_id:
                return decoded

    return await asyncio.wait_for(matching(), FRAME_TIMEOUT_SECONDS)


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """Run `app` on a real uvicorn in this event loop (lifespan included); yield its base URL."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # start-up failed: raise its error
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
