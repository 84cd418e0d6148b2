"""A subscription's bounded backlog: slow consumers are dropped, never buffered without bound."""

from __future__ import annotations

import asyncio

import pytest

from serving.realtime.subscription import Subscription


async def _collect(subscription: Subscription) -> list[str]:
    return [frame async for frame in subscription.frames()]


def test_frames_arrive_in_order_until_dropped() -> None:
    subscription = Subscription("sup_000001", max_pending=4)
    assert subscription.offer("a") and subscription.offer("b")

    async def scenario() -> list[str]:
        first = await anext(subscription.frames())
        subscription.drop()
        return [first, *await _collect(subscription)]

    # The backlog is discarded on drop: "b" is never sent to a consumer that was dropped.
    assert asyncio.run(scenario()) == ["a"]


def test_a_full_backlog_drops_the_consumer_and_frees_it() -> None:
    subscription = Subscription("sup_000001", max_pending=3)
    assert all(subscription.offer(f"frame {i}") for i in range(3))
    assert not subscription.offer("one too many")
    assert subscription.dropped
    # Only the end-of-feed sentinel is left, and nothing more is accepted.
    assert subscription.pending == 1
    assert not subscription.offer("later")
    assert asyncio.run(_collect(subscription)) == []


def test_max_pending_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_pending"):
        Subscription(None, max_pending=0)


def test_ending_a_feed_is_not_dropping_it() -> None:
    subscription = Subscription(None, max_pending=4)
    subscription.offer("queued before the hub stopped")
    subscription.end()
    assert not subscription.dropped
    assert asyncio.run(_collect(subscription)) == []
