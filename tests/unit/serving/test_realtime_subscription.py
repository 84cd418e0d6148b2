"""A subscription sends at once, keeps order behind a waiting send, and drops slow consumers."""

from __future__ import annotations

import asyncio

import pytest
from starlette.websockets import WebSocketDisconnect

from serving.live.subscription import Subscription


class Client:
    """A connection whose sends complete at once, or wait while `reading` is clear."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.closed_with: tuple[int, str | None] | None = None
        self.reading = asyncio.Event()
        self.reading.set()
        self.gone = False

    async def send_text(self, data: str) -> None:
        if self.gone:
            raise WebSocketDisconnect(1006)
        await self.reading.wait()
        self.sent.append(data)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        await self.reading.wait()
        self.closed_with = (code, reason)


async def _started(client: Client, max_pending: int = 4) -> Subscription:
    subscription = Subscription("sup_000001", client, max_pending)
    await subscription.start("snapshot")
    return subscription


def test_frames_offered_before_the_snapshot_follow_it() -> None:
    async def scenario() -> list[str]:
        client = Client()
        subscription = Subscription("sup_000001", client, max_pending=4)
        assert subscription.offer("a") and subscription.offer("b")
        assert client.sent == []
        await subscription.start("snapshot")
        subscription.offer("c")
        return client.sent

    assert asyncio.run(scenario()) == ["snapshot", "a", "b", "c"]


def test_a_client_that_keeps_up_is_sent_each_frame_on_the_spot() -> None:
    async def scenario() -> None:
        client = Client()
        subscription = await _started(client)
        subscription.offer("a")
        assert client.sent == ["snapshot", "a"]  # no task switch needed
        assert subscription.pending == 0

    asyncio.run(scenario())


def test_frames_wait_in_order_behind_a_send_that_waits_for_the_client() -> None:
    async def scenario() -> None:
        client = Client()
        subscription = await _started(client)
        client.reading.clear()
        for frame in "abc":
            assert subscription.offer(frame)
        assert subscription.pending == 2  # "a" is in the waiting send
        client.reading.set()
        await asyncio.sleep(0.01)
        assert client.sent == ["snapshot", "a", "b", "c"]
        subscription.offer("d")
        assert client.sent[-1] == "d"

    asyncio.run(scenario())


def test_a_full_backlog_drops_the_consumer_and_closes_it_with_1013() -> None:
    async def scenario() -> None:
        client = Client()
        subscription = await _started(client, max_pending=3)
        client.reading.clear()
        assert all(subscription.offer(f"frame {i}") for i in range(4))
        assert not subscription.offer("one too many")
        assert subscription.dropped
        assert subscription.pending == 0  # the backlog is discarded, not sent
        assert not subscription.offer("later")
        client.reading.set()
        await asyncio.sleep(0.01)
        assert client.sent == ["snapshot", "frame 0"]
        assert client.closed_with == (1013, "too slow: 3 frames were waiting")

    asyncio.run(scenario())


def test_ending_a_feed_closes_it_with_1012_and_is_not_dropping_it() -> None:
    async def scenario() -> None:
        client = Client()
        subscription = await _started(client)
        subscription.end()
        assert not subscription.dropped
        assert subscription.offer("after the end")  # refused quietly: not a slow consumer
        assert client.sent == ["snapshot"]
        assert client.closed_with == (1012, "server stopping")

    asyncio.run(scenario())


def test_a_client_that_left_gets_nothing_more() -> None:
    async def scenario() -> None:
        client = Client()
        subscription = await _started(client)
        client.gone = True
        subscription.offer("a")
        assert subscription.ended and not subscription.dropped
        client.gone = False
        subscription.offer("b")
        assert client.sent == ["snapshot"]

    asyncio.run(scenario())


def test_cancel_abandons_a_waiting_send() -> None:
    async def scenario() -> None:
        client = Client()
        subscription = await _started(client)
        client.reading.clear()
        subscription.offer("a")
        subscription.offer("b")
        subscription.cancel()
        await asyncio.sleep(0.01)
        client.reading.set()
        await asyncio.sleep(0.01)
        assert client.sent == ["snapshot"]
        assert client.closed_with is None

    asyncio.run(scenario())


def test_max_pending_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_pending"):
        Subscription(None, Client(), max_pending=0)
