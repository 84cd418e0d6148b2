"""The cache, the rate limits, the WebSocket caps and the live feed on one Redis and on a cluster.

Each test runs twice: on this package's Redis database and on the topology's 6-node Redis
Cluster, with the clients the API opens (`wedsync.redis_clients.async_client`), so a key or a
script that spans two slots fails here (CROSSSLOT) rather than in production.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
from collections.abc import Awaitable

import orjson
import pytest
import redis

from serving.cache.responses import CachedAnswer, ResponseCache
from serving.limits.connections import ConnectionCaps
from serving.limits.ratelimit import LEASE_SHARE, RateLimiter
from serving.live.hub import RealtimeHub
from tests.integration.realtime.conftest import RecordingConnection
from wedsync.events.live import channel, publish_counts
from wedsync.redis_clients import AsyncRedis, async_client, is_cluster

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

FRAME_TIMEOUT_SECONDS = 10.0


async def test_a_stampede_over_two_workers_computes_the_answer_once(
    redis_url: str, tenant: str
) -> None:
    clients = [async_client(redis_url) for _ in range(2)]
    workers = [ResponseCache(client, "test") for client in clients]
    key = workers[0].key(tenant, 7, "-")
    computations = 0

    async def compute() -> bytes:
        nonlocal computations
        computations += 1
        await asyncio.sleep(0.2)  # the other worker's askers arrive meanwhile
        return b'{"enquiries": 40}'

    async def ask(worker: ResponseCache) -> CachedAnswer:
        found = await worker.lookup(key)
        if isinstance(found, CachedAnswer):
            return found
        return await worker.compute_once(key, compute, found)

    try:
        answers = await asyncio.gather(*(ask(workers[i % 2]) for i in range(6)))
        assert computations == 1
        assert {answer.body for answer in answers} == {b'{"enquiries": 40}'}
        # A third worker, with nothing in its memory, finds the answer in Redis.
        fresh = ResponseCache(clients[0], "test")
        stored = await fresh.get(key)
        assert stored is not None and stored.body == b'{"enquiries": 40}'
    finally:
        for client in clients:
            await client.aclose()


async def test_two_workers_together_never_pass_a_tenants_limit(redis_url: str, tenant: str) -> None:
    limit = 60
    clients = [async_client(redis_url) for _ in range(2)]
    workers = [
        RateLimiter(client, 60, workers=2, exact=is_cluster(redis_url)) for client in clients
    ]
    try:
        decisions = await asyncio.gather(
            *(workers[i % 2].hit(tenant, limit) for i in range(2 * limit))
        )
        buckets = await asyncio.gather(
            *(workers[i % 2].hit(f"{tenant}:ws-connects", 3) for i in range(6))
        )
    finally:
        for client in clients:
            await client.aclose()
    allowed = sum(decision.allowed for decision in decisions)
    # Never over; short by at most the slots each worker still holds unused in its lease.
    assert limit - 2 * (limit // LEASE_SHARE) <= allowed <= limit
    assert sum(decision.allowed for decision in buckets) == 3  # another window, same tenant


async def test_a_tenants_websockets_are_capped_across_workers(
    client: AsyncRedis, tenant: str
) -> None:
    first, second = ConnectionCaps(client, workers=2), ConnectionCaps(client, workers=2)
    assert [await first.admit(tenant, 2), await second.admit(tenant, 2)] == [True, True]
    assert not await first.admit(tenant, 2)
    await second.release(tenant)
    assert await first.admit(tenant, 2)


class HearingHub(RealtimeHub):
    """A hub that notes the supplier of every delta Redis delivers to it."""

    def __init__(self, redis_url: str, coalesce_seconds: float) -> None:
        super().__init__(redis_url, coalesce_seconds=coalesce_seconds)
        self.heard: list[str] = []

    def receive(self, payload: bytes) -> None:
        self.heard.append(orjson.loads(payload)["supplier_id"])
        super().receive(payload)


async def _frame(connection: RecordingConnection) -> dict[str, object]:
    """The connection's next delta (heartbeats and status frames skipped)."""

    async def delta() -> dict[str, object]:
        while True:
            frame: dict[str, object] = orjson.loads(await connection.frames.get())
            if frame["type"] == "delta":
                return frame

    return await asyncio.wait_for(delta(), FRAME_TIMEOUT_SECONDS)


async def _following(hub: RealtimeHub, supplier_id: str | None) -> RecordingConnection:
    connection = RecordingConnection()
    subscription = hub.subscribe(supplier_id, connection)
    assert await hub.carrying(supplier_id, timeout=FRAME_TIMEOUT_SECONDS)
    await subscription.start('{"type":"snapshot"}')
    await connection.frames.get()
    return connection


async def test_each_process_receives_only_the_suppliers_its_dashboards_follow(
    redis_url: str, client: AsyncRedis
) -> None:
    tenants = [f"sup_97{n}{id(client) % 1000:03d}" for n in range(3)]
    hubs = [HearingHub(redis_url, coalesce_seconds=0.05) for _ in range(3)]
    for hub in hubs:
        await hub.start()
    try:
        first = await _following(hubs[0], tenants[0])
        second = await _following(hubs[1], tenants[1])
        platform = await _following(hubs[2], None)
        today = dt.datetime.now(dt.UTC).date()
        assert await publish_counts(
            client,
            {
                (tenant, today): collections.Counter(enquiry_created=n + 1)
                for n, tenant in enumerate(tenants)
            },
        )
        assert (await _frame(first))["supplier_id"] == tenants[0]
        assert (await _frame(second))["supplier_id"] == tenants[1]
        by_platform = {(await _frame(platform))["supplier_id"] for _ in tenants}
        assert by_platform == set(tenants)
        if is_cluster(redis_url):
            # Sharded pub/sub: each process was sent its own tenants' deltas and nothing else.
            assert hubs[0].heard == [tenants[0]]
            assert hubs[1].heard == [tenants[1]]
            assert await _shard_subscribers(client, channel(tenants[2])) == 0
            assert await _shard_subscribers(client, channel(tenants[0])) == 1
    finally:
        for hub in hubs:
            await hub.stop()


async def _shard_subscribers(client: AsyncRedis, name: str) -> int:
    """`PUBSUB SHARDNUMSUB` of a channel, asked of the node that owns its slot."""
    assert isinstance(client, redis.asyncio.cluster.RedisCluster)
    node = client.get_node_from_key(name)
    assert node is not None
    direct = redis.asyncio.Redis(host=node.host, port=int(node.port))
    try:
        reply: Awaitable[list[object]] = direct.execute_command("PUBSUB", "SHARDNUMSUB", name)
        return int((await reply)[1])  # type: ignore[call-overload]
    finally:
        await direct.aclose()
