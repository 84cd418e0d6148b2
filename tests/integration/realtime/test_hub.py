"""The hub over real Redis: fan-out, coalescing, slow consumers, several processes, snapshots."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from serving.live.hub import RealtimeHub
from tests.integration.realtime.conftest import (
    REALTIME_REDIS_URL,
    follow,
    next_frame,
    publish,
    stored,
    unique_supplier,
)
from wedsync.events.live import channel

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

SUPPLIER_A = unique_supplier()
SUPPLIER_B = unique_supplier()


@pytest.fixture
async def hub(live_redis: redis.Redis) -> AsyncIterator[RealtimeHub]:
    """A started hub with a short coalescing interval (the rule is the same at 1 s)."""
    hub = RealtimeHub(REALTIME_REDIS_URL, coalesce_seconds=0.3)
    await hub.start()
    try:
        yield hub
    finally:
        await hub.stop()


async def test_a_delta_reaches_its_supplier_and_the_platform_only(
    hub: RealtimeHub, live_redis: redis.Redis
) -> None:
    dashboards_a = [await follow(hub, SUPPLIER_A), await follow(hub, SUPPLIER_A)]
    dashboard_b = await follow(hub, SUPPLIER_B)
    platform = await follow(hub, None)

    await publish(live_redis, stored(SUPPLIER_A, "enquiry_created", 2))

    for subscription in [*dashboards_a, platform]:
        frame = await next_frame(subscription, SUPPLIER_A)
        assert frame["type"] == "delta"
        assert frame["supplier_id"] == SUPPLIER_A
        assert frame["events"] == 2
        assert list(frame["days"].values()) == [{"enquiry_created": 2}]
    assert dashboard_b.received == 0


async def test_a_burst_becomes_one_immediate_and_one_merged_frame(
    hub: RealtimeHub, live_redis: redis.Redis
) -> None:
    dashboard = await follow(hub, SUPPLIER_A)
    for _ in range(5):
        await publish(live_redis, stored(SUPPLIER_A, "rsvp_updated"))

    first = await next_frame(dashboard)
    merged = await next_frame(dashboard)
    assert (first["events"], merged["events"]) == (1, 4)
    await asyncio.sleep(0.6)  # two more intervals: nothing else was published, nothing comes
    assert dashboard.received == 0


async def test_a_slow_consumer_is_dropped_and_others_keep_their_feed(
    live_redis: redis.Redis,
) -> None:
    hub = RealtimeHub(REALTIME_REDIS_URL, coalesce_seconds=0, max_pending=3)
    await hub.start()
    try:
        stalled = await follow(hub, SUPPLIER_A, stall_after=0)  # reads nothing after the snapshot
        reader = await follow(hub, SUPPLIER_A)
        received = 0
        for _ in range(5):
            await publish(live_redis, stored(SUPPLIER_A, "profile_view"))
            received += (await next_frame(reader))["events"]

        # The first delta waits in the stalled send, 3 more fill its backlog, the 5th drops it.
        assert received == 5
        assert stalled.subscription.dropped
        assert hub.dropped_total == 1
        assert hub.connections == 1  # the stalled one is forgotten; its backlog discarded
        assert stalled.subscription.pending == 0

        stalled.connection.resume()  # the client reads again: it gets its close, nothing more
        assert (await next_frame(stalled))["events"] == 1
        await asyncio.sleep(0.05)
        assert stalled.connection.closed_with == (1013, "too slow: 3 frames were waiting")
        assert stalled.received == 0
    finally:
        await hub.stop()


async def test_every_process_delivers_every_event_to_its_own_clients(
    live_redis: redis.Redis,
) -> None:
    hubs = [RealtimeHub(REALTIME_REDIS_URL), RealtimeHub(REALTIME_REDIS_URL)]
    for hub in hubs:
        await hub.start()
    try:
        dashboards = [await follow(hub, SUPPLIER_B) for hub in hubs]
        await publish(live_redis, stored(SUPPLIER_B, "booking_confirmed"))
        frames = [await next_frame(dashboard) for dashboard in dashboards]
        assert [frame["supplier_id"] for frame in frames] == [SUPPLIER_B, SUPPLIER_B]
        assert [frame["events"] for frame in frames] == [1, 1]
    finally:
        for hub in hubs:
            await hub.stop()


async def test_snapshot_holds_today_counters_per_supplier(
    hub: RealtimeHub, live_redis: redis.Redis
) -> None:
    await publish(live_redis, stored(SUPPLIER_A, "enquiry_created", 3))
    await publish(live_redis, stored(SUPPLIER_B, "quote_sent"))
    today = dt.datetime.now(dt.UTC).date()

    assert await hub.snapshot(SUPPLIER_A, today) == {SUPPLIER_A: {"enquiry_created": 3}}
    assert await hub.snapshot(None, today) == {
        SUPPLIER_A: {"enquiry_created": 3},
        SUPPLIER_B: {"quote_sent": 1},
    }


async def test_a_malformed_publish_is_ignored(hub: RealtimeHub, live_redis: redis.Redis) -> None:
    dashboard = await follow(hub, SUPPLIER_A)
    await live_redis.publish(channel(SUPPLIER_A), b"not json")
    await publish(live_redis, stored(SUPPLIER_A, "review_posted"))
    assert (await next_frame(dashboard))["events"] == 1
    assert hub.connections == 1


async def test_deltas_of_suppliers_nobody_follows_here_are_skipped(
    live_redis: redis.Redis,
) -> None:
    # A minute-long interval: a delta the coalescer had seen would hold the next one back.
    hub = RealtimeHub(REALTIME_REDIS_URL, coalesce_seconds=60)
    await hub.start()
    try:
        unwatched = unique_supplier()
        dashboard = await follow(hub, SUPPLIER_A)
        await publish(live_redis, stored(unwatched, "profile_view"))
        await publish(live_redis, stored(SUPPLIER_A, "profile_view"))
        assert (await next_frame(dashboard))["supplier_id"] == SUPPLIER_A

        late = await follow(hub, unwatched)
        await publish(live_redis, stored(unwatched, "profile_view"))
        # Sent at once: the first delta, published while nobody here followed, was skipped.
        assert (await next_frame(late))["events"] == 1
    finally:
        await hub.stop()


async def test_quiet_feeds_get_heartbeats(live_redis: redis.Redis) -> None:
    hub = RealtimeHub(REALTIME_REDIS_URL, heartbeat_seconds=0.1)
    await hub.start()
    try:
        dashboards = [await follow(hub, SUPPLIER_A), await follow(hub, None)]
        for dashboard in dashboards:
            assert (await next_frame(dashboard))["type"] == "heartbeat"
    finally:
        await hub.stop()
