"""The live feed on a Redis Cluster: sharded pub/sub on the channels of the suppliers watched here.

On one Redis the hub's single pattern subscription hears every supplier's deltas, and each
process throws away those nobody on it watches. On a cluster the ingest path publishes each
supplier's deltas with `SPUBLISH` on its own channel (`wedsync:events:{supplier}`, in the slot of
its counters), which only that slot's shard carries. This follower holds one connection per
primary that owns a watched channel and `SSUBSCRIBE`s there exactly the channels of the suppliers
whose dashboards this process holds: a process receives its own tenants' deltas, not every event.
A process holding a platform dashboard (every supplier) subscribes instead to the platform
channel, on which the ingest path also publishes each delta (classic pub/sub, which the cluster
broadcasts to every node).

When a primary dies, its connection breaks: the channels it carried are marked lost (the hub
reports the feed as degraded), and the follower asks the cluster for its slot map again, once a
second, until a promoted replica owns the slots, then subscribes there. The hub tells the
affected dashboards which span of time their live counts miss (a `gap` frame).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import redis.asyncio
from redis.asyncio.client import PubSub
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from serving.core.background import stop_background
from wedsync.events.live import PLATFORM_CHANNEL, channel, tagged_supplier

logger = logging.getLogger(__name__)

RESUBSCRIBE_DELAY_SECONDS = 1.0
#: The name of the platform channel's subscription among the per-supplier ones.
PLATFORM = "*"


class _Shard:
    """One connection to one cluster node, subscribed to some of the followed channels."""

    def __init__(self, node_name: str, client: redis.asyncio.Redis, sharded: bool) -> None:
        self.node_name = node_name
        self.client = client
        self.pubsub: PubSub = client.pubsub()
        self.sharded = sharded  # SSUBSCRIBE (a supplier's channel) or SUBSCRIBE (the platform's)
        self.channels: set[str] = set()
        self.broken = False
        self.reader: asyncio.Task[None] | None = None

    async def sync(self, wanted: set[str]) -> None:
        """Subscribe to `wanted` here and drop the rest (one command per channel: a cluster
        refuses `SSUBSCRIBE` of channels in different slots in one command)."""
        for name in sorted(wanted - self.channels):
            await (self.pubsub.ssubscribe(name) if self.sharded else self.pubsub.subscribe(name))
            self.channels.add(name)
        for name in sorted(self.channels - wanted):
            await (
                self.pubsub.sunsubscribe(name) if self.sharded else self.pubsub.unsubscribe(name)
            )
            self.channels.discard(name)

    async def close(self) -> None:
        """Stop reading and close the connection (it may be dead already)."""
        if self.reader is not None:
            await stop_background([self.reader])
        try:
            await self.pubsub.aclose()
            await self.client.aclose()
        except (RedisError, OSError) as error:
            logger.debug("closing the connection to %s: %s", self.node_name, error)


class ShardedFeed:
    """Follows the channels of the suppliers (or the platform) watched in this process."""

    def __init__(
        self,
        client: RedisCluster,
        deliver: Callable[[bytes], None],
        resumed: Callable[[list[str], float], None],
    ) -> None:
        self._client = client
        self._deliver = deliver
        self._resumed = resumed
        self._wanted: set[str] = set()  # supplier ids, and PLATFORM
        self._shards: dict[tuple[str, bool], _Shard] = {}
        self._changed = asyncio.Event()
        #: Wall-clock time each followed supplier's subscription broke, until it is back.
        self.lost_since: dict[str, float] = {}
        self.subscribed = asyncio.Event()

    def follow(self, supplier_id: str | None) -> None:
        """Start receiving a supplier's deltas (`None`: every supplier's)."""
        self._wanted.add(supplier_id or PLATFORM)
        self._changed.set()

    def unfollow(self, supplier_id: str | None) -> None:
        """Stop receiving them (no dashboard here watches the supplier any more)."""
        self._wanted.discard(supplier_id or PLATFORM)
        self.lost_since.pop(supplier_id or PLATFORM, None)
        self._changed.set()

    async def run(self) -> None:
        """Keep the subscriptions matching what is followed and where its slots live."""
        self._changed.set()
        try:
            while True:
                await self._changed.wait()
                self._changed.clear()
                try:
                    await self._reconcile()
                    self.subscribed.set()
                except (RedisError, OSError) as error:
                    logger.warning("live-feed shard subscription failed (%s); retrying", error)
                    await asyncio.sleep(RESUBSCRIBE_DELAY_SECONDS)
                    self._changed.set()
        finally:
            for shard in self._shards.values():
                await shard.close()
            self._shards.clear()

    def _placement(self) -> dict[tuple[str, bool], set[str]]:
        """Which node serves each followed channel: (node, sharded) -> channels.

        With a platform dashboard here every delta arrives on the platform channel, so no
        supplier channel is needed (and none is followed twice).
        """
        if PLATFORM in self._wanted:
            return {(self._owner(PLATFORM_CHANNEL), False): {PLATFORM_CHANNEL}}
        placement: dict[tuple[str, bool], set[str]] = {}
        for supplier_id in self._wanted:
            name = channel(supplier_id)
            placement.setdefault((self._owner(name), True), set()).add(name)
        return placement

    def _owner(self, name: str) -> str:
        """The node serving a channel's slot, as the cluster's slot map says now."""
        node = self._client.get_node_from_key(name)
        if node is None:
            raise RedisError(f"no cluster node serves the slot of {name}")
        return str(node.name)

    async def _reconcile(self) -> None:
        await self._client.initialize()  # the slot map, on the first call only
        if any(shard.broken for shard in self._shards.values()):
            # A node died: ask the cluster who owns its slots now (a replica, once promoted).
            await self._client.nodes_manager.initialize()
        placement = self._placement()
        for key, shard in list(self._shards.items()):
            if shard.broken or key not in placement:
                del self._shards[key]
                await shard.close()
        for (node_name, sharded), channels in placement.items():
            shard = self._shards.get((node_name, sharded)) or self._open(node_name, sharded)
            try:
                await shard.sync(channels)
            except (RedisError, OSError):
                shard.broken = True  # the slot map named a dead node: ask again next time
                raise
            if shard.reader is None:
                shard.reader = asyncio.create_task(self._read(shard), name="live-shard-reader")
        back = [s for s in self.lost_since if s in self._wanted and self._carried(s)]
        if back:
            since = min(self.lost_since.pop(supplier_id) for supplier_id in back)
            self._resumed(back, since)

    def carries(self, supplier_id: str | None) -> bool:
        """Whether a supplier's channel (`None`: the platform's) is subscribed now."""
        return self._carried(supplier_id or PLATFORM)

    def _carried(self, supplier_id: str) -> bool:
        if PLATFORM in self._wanted:
            supplier_id = PLATFORM  # every delta arrives on the platform channel then
        name = PLATFORM_CHANNEL if supplier_id == PLATFORM else channel(supplier_id)
        return any(name in shard.channels for shard in self._shards.values())

    def _open(self, node_name: str, sharded: bool) -> _Shard:
        node = self._client.get_node(node_name=node_name)
        if node is None:
            raise RedisError(f"no cluster node {node_name}")
        kwargs: dict[str, Any] = node.connection_kwargs
        client = redis.asyncio.Redis(
            host=node.host,
            port=int(node.port),
            username=kwargs.get("username"),
            password=kwargs.get("password"),
            socket_connect_timeout=kwargs.get("socket_connect_timeout") or 1.0,
            # A broken subscription is reported (and moved) at once, not retried on a dead node.
            retry=Retry(NoBackoff(), 0),
        )
        shard = _Shard(node_name, client, sharded)
        self._shards[(node_name, sharded)] = shard
        return shard

    async def _read(self, shard: _Shard) -> None:
        wanted_type = "smessage" if shard.sharded else "message"
        try:
            async for message in shard.pubsub.listen():
                if message["type"] == wanted_type:
                    self._deliver(message["data"])
        except (RedisError, OSError) as error:
            logger.warning("live-feed shard %s lost (%s)", shard.node_name, error)
            shard.broken = True
            now = time.time()
            for name in shard.channels:
                self.lost_since.setdefault(
                    PLATFORM if name == PLATFORM_CHANNEL else tagged_supplier(name), now
                )
            self._changed.set()
