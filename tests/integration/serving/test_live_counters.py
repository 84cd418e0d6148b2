"""The ingest path's live counters: summed in memory, published to Redis, nothing left behind."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import orjson
import pytest
import redis.asyncio as redis

from serving.live.counters import LiveCounters
from tests.integration.serving.conftest import REDIS_URL
from wedsync.events.live import channel, counter_key
from wedsync.events.store import StoredEvent

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

TODAY = dt.date(2026, 11, 25)


def _events(supplier_id: str, event_type: str, n: int) -> list[StoredEvent]:
    return [StoredEvent(str(uuid.uuid4()), event_type, supplier_id, TODAY) for _ in range(n)]


async def test_a_first_batch_is_published_and_later_ones_are_summed() -> None:
    supplier_id = f"sup_{uuid.uuid4().int % 10**6:06d}"
    client = redis.Redis.from_url(REDIS_URL)
    listener = client.pubsub()
    await listener.subscribe(channel(supplier_id))
    await listener.get_message(timeout=1)  # the subscription confirmation
    counters = LiveCounters(client)
    flusher = asyncio.create_task(counters.run())
    try:
        counters.add(_events(supplier_id, "enquiry_created", 3))
        first = await listener.get_message(ignore_subscribe_messages=True, timeout=5)
        assert first is not None
        assert orjson.loads(first["data"])["delta"] == {"enquiry_created": 3}

        counters.add(_events(supplier_id, "profile_view", 2))
        counters.add(_events(supplier_id, "profile_view", 4))
        second = await listener.get_message(ignore_subscribe_messages=True, timeout=5)
        assert second is not None
        assert orjson.loads(second["data"])["delta"] == {"profile_view": 6}
    finally:
        flusher.cancel()
        await asyncio.gather(flusher, return_exceptions=True)
    totals = await client.hgetall(counter_key(supplier_id, TODAY))
    assert {key.decode(): int(value) for key, value in totals.items()} == {
        "enquiry_created": 3,
        "profile_view": 6,
    }
    await client.delete(counter_key(supplier_id, TODAY))
    await listener.aclose()
    await client.aclose()


async def test_what_is_counted_when_the_worker_stops_is_still_published() -> None:
    supplier_id = f"sup_{uuid.uuid4().int % 10**6:06d}"
    client = redis.Redis.from_url(REDIS_URL)
    counters = LiveCounters(client)
    flusher = asyncio.create_task(counters.run())
    await asyncio.sleep(0)  # the flusher is now waiting for something to count
    counters.add(_events(supplier_id, "quote_sent", 5))
    flusher.cancel()  # stopped before it could flush on its own
    await asyncio.gather(flusher, return_exceptions=True)
    assert int(await client.hget(counter_key(supplier_id, TODAY), "quote_sent") or 0) == 5
    await client.delete(counter_key(supplier_id, TODAY))
    await client.aclose()


async def test_an_explicit_flush_waits_for_the_one_under_way_and_counts_once() -> None:
    supplier_id = f"sup_{uuid.uuid4().int % 10**6:06d}"
    reader = redis.Redis.from_url(REDIS_URL)
    for n in range(1, 4):
        # A client not connected yet: the flush under way first waits for its connection,
        # the widest window for an explicit flush to overtake it.
        client = redis.Redis.from_url(REDIS_URL)
        counters = LiveCounters(client)
        counters.add(_events(supplier_id, "rsvp_updated", 1))
        under_way = asyncio.create_task(counters.flush())  # as the background flush does
        await asyncio.sleep(0)  # it has taken the deltas and waits for Redis
        assert await counters.flush()
        # Returned only once every event counted before it was in Redis, each once.
        count = await reader.hget(counter_key(supplier_id, TODAY), "rsvp_updated")
        assert int(count or 0) == n
        assert await under_way
        await client.aclose()
    assert int(await reader.hget(counter_key(supplier_id, TODAY), "rsvp_updated") or 0) == 3
    await reader.delete(counter_key(supplier_id, TODAY))
    await reader.aclose()
