"""The per-process live-feed hub: one Redis pattern subscription, fanned out in-process.

Every API process runs one hub. It holds a single `PSUBSCRIBE wedsync:events:*` (so 10,000
dashboards cost Redis one subscriber per process, not 10,000), coalesces each supplier's deltas
(see `coalesce.py`), and offers the encoded frame to the subscriptions of that supplier and to
every platform subscription, in one pass that sends to each connection on the spot (see
`subscription.py`). Several processes behind a load balancer each hold their own
subscription, so each delivers every event to its own clients. The hub also keeps its held
connections' objects out of the garbage collector's full passes (see `heap.py`).

On a Redis Cluster (`wedsync.redis_clients`) the hub follows instead only the channels of the
suppliers its dashboards watch, with sharded pub/sub (`serving.live.sharded`): each process
receives its own tenants' deltas, not every event.

Redis is best effort here, as on the ingest path: when the subscription breaks the hub logs,
waits and subscribes again; clients keep their connections and get a fresh snapshot on reconnect.
While Redis or Postgres is unreachable the feed says so (a `status` frame when the set changes,
and `degraded` in every heartbeat) instead of going quiet or closing. When the subscription is
back the dashboards it carried get a `gap` frame: from when to when deltas may be missing from
their live counts (the events themselves are in Postgres).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from urllib.parse import urlparse

import orjson
import redis.asyncio as redis
from redis.asyncio.client import PubSub
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError

from serving.core.background import stop_background
from serving.live.coalesce import Coalescer, SupplierDelta
from serving.live.heap import ConnectionHeap
from serving.live.messages import delta_frame, gap_frame, heartbeat_frame, status_frame
from serving.live.sharded import PLATFORM, ShardedFeed
from serving.live.subscription import Connection, Subscription
from wedsync.events.live import channel, counter_key, live_counters, tagged_supplier
from wedsync.redis_clients import AsyncRedis, async_client, is_cluster

logger = logging.getLogger(__name__)

CHANNEL_PATTERN = channel("*")
RESUBSCRIBE_DELAY_SECONDS = 1.0
HEARTBEAT_TICK_SECONDS = 1.0
SNAPSHOT_CONNECTIONS = 16
SNAPSHOT_WAIT_SECONDS = 10.0
CARRY_POLL_SECONDS = 0.01


def _where(redis_url: str) -> str:
    """`host:port` of a Redis URL, for logs (the URL may hold a password)."""
    url = urlparse(redis_url)
    return f"{url.hostname}:{url.port or 6379}"


class RealtimeHub:
    """Live deltas from Redis to this process's dashboard connections."""

    def __init__(
        self,
        redis_url: str,
        *,
        coalesce_seconds: float = 1.0,
        heartbeat_seconds: float = 15.0,
        max_pending: int = 64,
    ) -> None:
        self.redis_url = redis_url
        self.heartbeat_seconds = heartbeat_seconds
        self.max_pending = max_pending
        self.dropped_total = 0
        self._coalescer = Coalescer(coalesce_seconds)
        self._by_supplier: dict[str, set[Subscription]] = defaultdict(set)
        self._platform: set[Subscription] = set()
        self._client: AsyncRedis | None = None
        self._pubsub: PubSub | None = None
        self._sharded: ShardedFeed | None = None
        self._lost_at: float | None = None  # when the pattern subscription broke
        self._tasks: list[asyncio.Task[None]] = []
        self._flushes: dict[str, asyncio.TimerHandle] = {}
        self._subscribed = asyncio.Event()
        self._heap = ConnectionHeap()
        self._redis_lost = False
        self._reported: list[str] = []
        #: Whether the warehouse is unreachable (set by the app: its breaker's state).
        self.warehouse_down: Callable[[], bool] = lambda: False

    @property
    def degraded(self) -> list[str]:
        """The dependencies the feed cannot reach now (`postgres`, `redis`)."""
        return [
            name
            for name, down in (("postgres", self.warehouse_down()), ("redis", self.redis_lost))
            if down
        ]

    @property
    def redis_lost(self) -> bool:
        """Whether the feed of any dashboard here is interrupted (its Redis or shard is down)."""
        return self._redis_lost or bool(self._sharded and self._sharded.lost_since)

    @property
    def connections(self) -> int:
        """Subscriptions currently held by this process."""
        return len(self._platform) + sum(len(subs) for subs in self._by_supplier.values())

    @property
    def redis(self) -> AsyncRedis:
        """The hub's Redis client (for snapshots); only valid between `start` and `stop`."""
        if self._client is None:
            raise RuntimeError("the realtime hub is not started")
        return self._client

    async def start(self, confirm_timeout: float = 5.0) -> None:
        """Subscribe to every supplier's channel and start fanning out and heartbeating.

        Waits up to `confirm_timeout` for Redis to confirm the subscription, so an event
        published after `start` returns is seen. When Redis does not answer the API still
        starts (ingestion does not need Redis either) and the hub keeps trying to subscribe.
        """
        # Bounded: 10,000 dashboards connecting at once wait for a connection instead of
        # opening 10,000 to Redis (and timing out connecting).
        if is_cluster(self.redis_url):
            cluster = async_client(self.redis_url, socket_connect_timeout=1.0)
            assert isinstance(cluster, RedisCluster)
            self._client = cluster
            self._sharded = ShardedFeed(cluster, self.receive, self._resumed)
            self._subscribed = self._sharded.subscribed
            for supplier_id in self._by_supplier:
                self._sharded.follow(supplier_id)
            if self._platform:
                self._sharded.follow(None)
            listening = asyncio.create_task(self._sharded.run(), name="realtime-shards")
        else:
            pool = redis.BlockingConnectionPool.from_url(
                self.redis_url,
                max_connections=SNAPSHOT_CONNECTIONS,
                timeout=SNAPSHOT_WAIT_SECONDS,
                socket_connect_timeout=1.0,
            )
            self._client = redis.Redis.from_pool(pool)
            self._pubsub = self._client.pubsub()
            listening = asyncio.create_task(self._listen(self._pubsub), name="realtime-listen")
        self._tasks = [
            listening,
            asyncio.create_task(self._heartbeat(), name="realtime-heartbeat"),
        ]
        try:
            await asyncio.wait_for(self._subscribed.wait(), confirm_timeout)
        except TimeoutError:
            # Never the URL itself: it may carry Redis's password.
            logger.warning(
                "live feed not subscribed yet (Redis at %s silent)", _where(self.redis_url)
            )

    async def stop(self) -> None:
        """Stop listening, end every subscription's feed and close the Redis connections."""
        await stop_background(self._tasks)
        self._tasks = []
        for handle in self._flushes.values():
            handle.cancel()
        self._flushes.clear()
        for subscription in self._all_subscriptions():
            subscription.end()
        self._by_supplier.clear()
        self._platform.clear()
        self._subscribed.clear()
        if self._pubsub is not None:
            await self._pubsub.aclose()
            self._pubsub = None
        self._sharded = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def subscribe(self, supplier_id: str | None, connection: Connection) -> Subscription:
        """A feed to `connection` of one supplier's deltas, or of every supplier's for `None`.

        Frames wait until the subscription's `start` has sent the snapshot.
        """
        subscription = Subscription(supplier_id, connection, self.max_pending)
        subscribers = self._platform if supplier_id is None else self._by_supplier[supplier_id]
        if not subscribers and self._sharded is not None:
            self._sharded.follow(supplier_id)
        subscribers.add(subscription)
        return subscription

    async def carrying(self, supplier_id: str | None, timeout: float = 1.0) -> bool:
        """Wait (up to `timeout`) until Redis delivers the deltas a new subscription follows.

        One Redis: at once (the pattern covers every supplier). A cluster subscribes to a
        supplier's shard channel when its first dashboard here arrives; the route waits for that
        before reading the snapshot, so no delta falls between the two.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._sharded is not None and not self._sharded.carries(supplier_id):
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(CARRY_POLL_SECONDS)
        return True

    def unsubscribe(self, subscription: Subscription) -> None:
        """Forget a feed (the connection closed or was dropped); idempotent."""
        if subscription.supplier_id is None:
            subscribers = self._platform
        else:
            subscribers = self._by_supplier.get(subscription.supplier_id, set())
        if subscription in subscribers:
            subscribers.remove(subscription)
            self._heap.closed()
        if subscribers:
            return
        if subscription.supplier_id is not None:
            self._by_supplier.pop(subscription.supplier_id, None)
        if self._sharded is not None:
            self._sharded.unfollow(subscription.supplier_id)

    async def snapshot(self, supplier_id: str | None, day: dt.date) -> dict[str, dict[str, int]]:
        """Live counters of `day` per supplier: one supplier's, or every supplier's for `None`."""
        if supplier_id is not None:
            return {supplier_id: await live_counters(self.redis, supplier_id, day)}
        keys = [key async for key in self.redis.scan_iter(match=counter_key("*", day), count=1000)]
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.hgetall(key)
            hashes = await pipe.execute()
        return {
            tagged_supplier(key): {name.decode(): int(n) for name, n in counts.items()}
            for key, counts in zip(keys, hashes, strict=True)
        }

    def receive(self, payload: bytes) -> None:
        """Take one published delta `{"supplier_id", "day", "delta"}` from the ingest path."""
        try:
            message = orjson.loads(payload)
            supplier_id, day, delta = message["supplier_id"], message["day"], message["delta"]
        except (orjson.JSONDecodeError, KeyError, TypeError) as error:
            logger.warning("ignoring a malformed live delta (%s): %r", error, payload[:200])
            return
        loop = asyncio.get_running_loop()
        admission = self._coalescer.admit(supplier_id, day, delta, loop.time())
        if admission.ready is not None:
            self._fan_out(admission.ready)
        if admission.flush_at is not None:
            self._flushes[supplier_id] = loop.call_at(admission.flush_at, self._flush, supplier_id)

    def _followed(self, channel: bytes) -> bool:
        """Whether any dashboard here follows this channel's supplier.

        Every process hears every supplier; deciding on the channel name alone keeps the cost
        of the deltas nobody here watches to a dictionary lookup (no JSON decoding).
        """
        return bool(self._platform) or tagged_supplier(channel) in self._by_supplier

    def _flush(self, supplier_id: str) -> None:
        self._flushes.pop(supplier_id, None)
        delta = self._coalescer.flush(supplier_id, asyncio.get_running_loop().time())
        if delta is not None:
            self._fan_out(delta)

    def _fan_out(self, delta: SupplierDelta) -> None:
        frame = delta_frame(delta)
        self._offer(frame, [*self._by_supplier.get(delta.supplier_id, ()), *self._platform])

    def _offer(self, frame: str, subscriptions: list[Subscription]) -> None:
        for subscription in subscriptions:
            if not subscription.offer(frame):
                self.dropped_total += 1
                self.unsubscribe(subscription)
                logger.info(
                    "dropped a slow live-feed consumer of %s (%d frames pending)",
                    subscription.supplier_id or "platform",
                    subscription.max_pending,
                )

    def _resumed(self, suppliers: list[str] | None, since: float) -> None:
        """The feed of `suppliers` (None: all) is back: tell their dashboards what they missed."""
        frame = gap_frame(since, time.time(), None if suppliers is None else sorted(suppliers))
        if suppliers is None or PLATFORM in suppliers:
            self._offer(frame, self._all_subscriptions())
            return
        followed = [s for supplier in suppliers for s in self._by_supplier.get(supplier, ())]
        self._offer(frame, [*followed, *self._platform])

    def _all_subscriptions(self) -> list[Subscription]:
        return [*self._platform, *(s for subs in self._by_supplier.values() for s in subs)]

    async def _listen(self, pubsub: PubSub) -> None:
        while True:
            try:
                if not self._subscribed.is_set():
                    await pubsub.psubscribe(CHANNEL_PATTERN)
                async for message in pubsub.listen():
                    if message["type"] == "pmessage" and self._followed(message["channel"]):
                        self.receive(message["data"])
                    elif message["type"] == "psubscribe":
                        self._subscribed.set()
                        self._redis_lost = False
                        if self._lost_at is not None:
                            self._resumed(None, self._lost_at)
                            self._lost_at = None
            except (RedisError, OSError) as error:
                self._redis_lost = True
                self._lost_at = self._lost_at or time.time()
                # redis-py subscribes again by itself when the connection comes back.
                logger.warning("live-feed subscription lost (%s); retrying", error)
                await asyncio.sleep(RESUBSCRIBE_DELAY_SECONDS)

    async def _heartbeat(self) -> None:
        # Each tick heartbeats one slice of the connections, so 10,000 heartbeats are spread
        # over the interval instead of landing at once (and delaying a live delta behind them).
        tick = min(HEARTBEAT_TICK_SECONDS, self.heartbeat_seconds)
        slices = max(1, round(self.heartbeat_seconds / tick))
        for turn in itertools.count():
            await asyncio.sleep(tick)
            self._coalescer.forget_idle(asyncio.get_running_loop().time())
            self._heap.tick(self.connections)
            degraded = self.degraded
            if degraded != self._reported:
                self._reported = degraded
                self._offer(status_frame(degraded), self._all_subscriptions())
            due = [s for s in self._all_subscriptions() if hash(s) % slices == turn % slices]
            self._offer(heartbeat_frame(degraded), due)
