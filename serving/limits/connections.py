"""How many live-feed WebSockets a tenant holds at once, across every worker.

Each tenant has a Redis hash of worker -> connections it holds there, and each worker beats
the time into that hash (`beat:<worker>`) every `BEAT_SECONDS` for every tenant it holds
connections of. Admitting a connection is one Lua script on that one key (so on a Redis Cluster
it runs on the tenant's shard: the key is hash-tagged `{tenant}`): it drops the counts of
workers silent for `STALE_SECONDS` (a crashed worker's connections are gone with it, so its
count must not lock the tenant out), sums the rest, and counts the new connection only if the
sum is under the cap. Closing a connection decrements its worker's count.

With Redis down each worker admits its share of the cap (`cap / workers`, at least one), so
the tenant's total still holds within the cap.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import secrets
from collections import Counter

from redis.exceptions import RedisError

from serving.core.background import raise_if_cancelled
from wedsync.redis_clients import AsyncRedis, hash_tagged

logger = logging.getLogger(__name__)

KEY_PREFIX = "wedsync:ws-connections"
BEAT_FIELD = "beat:"
BEAT_SECONDS = 10.0
STALE_SECONDS = 30.0

# KEYS[1]: the tenant's hash. ARGV: worker id, cap, stale after (ms).
_ADMIT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
redis.call('HSET', KEYS[1], 'beat:' .. ARGV[1], now)
local held = redis.call('HGETALL', KEYS[1])
local total = 0
for i = 1, #held, 2 do
    if string.sub(held[i], 1, 5) ~= 'beat:' then
        local beat = redis.call('HGET', KEYS[1], 'beat:' .. held[i])
        if (not beat) or now - tonumber(beat) > tonumber(ARGV[3]) then
            redis.call('HDEL', KEYS[1], held[i], 'beat:' .. held[i])
        else
            total = total + tonumber(held[i + 1])
        end
    end
end
if total >= tonumber(ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
return 1
"""
_RELEASE = """
if redis.call('HINCRBY', KEYS[1], ARGV[1], -1) <= 0 then
    redis.call('HDEL', KEYS[1], ARGV[1], 'beat:' .. ARGV[1])
end
"""


def tenant_key(tenant: str) -> str:
    """The hash of a tenant's connections per worker (and the workers' beats)."""
    return hash_tagged(KEY_PREFIX, tenant)


class ConnectionCaps:
    """Admits and releases a tenant's WebSockets against its tier's concurrent cap."""

    def __init__(self, client: AsyncRedis, workers: int = 1) -> None:
        self._client = client
        self._workers = workers
        self._admit = client.register_script(_ADMIT)
        self._release = client.register_script(_RELEASE)
        self.worker_id = f"{os.getpid()}-{secrets.token_hex(4)}"
        #: This worker's connections per tenant, and which of them Redis counted.
        self._held: Counter[str] = Counter()
        self._counted: Counter[str] = Counter()

    async def admit(self, tenant: str, cap: int) -> bool:
        """Count one more connection of `tenant` if it holds fewer than `cap`; False: refused."""
        try:
            admitted = bool(
                await self._admit(
                    keys=[tenant_key(tenant)],
                    args=[self.worker_id, cap, int(STALE_SECONDS * 1000)],
                )
            )
            counted = admitted
        except (RedisError, OSError) as error:
            logger.debug("WebSocket cap counted in-process: Redis unavailable (%s)", error)
            admitted = self._held[tenant] < max(1, math.floor(cap / self._workers))
            counted = False
        if admitted:
            self._held[tenant] += 1
            self._counted[tenant] += counted
        return admitted

    async def release(self, tenant: str) -> None:
        """A connection of `tenant` admitted by `admit` has closed."""
        self._held[tenant] -= 1
        if self._held[tenant] <= 0:
            del self._held[tenant]
        if self._counted[tenant] > 0:
            self._counted[tenant] -= 1
            try:
                await self._release(keys=[tenant_key(tenant)], args=[self.worker_id])
            except (RedisError, OSError) as error:
                logger.debug("WebSocket release not counted in Redis (%s)", error)

    async def run(self) -> None:
        """Beat into the hash of every tenant counted here every `BEAT_SECONDS`, so the counts
        stay live (one pipelined round trip per shard)."""
        while True:
            try:
                seconds, micros = await self._client.time()
                field, now_ms = f"{BEAT_FIELD}{self.worker_id}", seconds * 1000 + micros // 1000
                async with self._client.pipeline(transaction=False) as pipe:
                    for tenant in [t for t, n in self._counted.items() if n > 0]:
                        pipe.hset(tenant_key(tenant), field, now_ms)
                    await pipe.execute()
            except (RedisError, OSError) as error:
                logger.debug("WebSocket cap beat missed (%s)", error)
            raise_if_cancelled()
            await asyncio.sleep(BEAT_SECONDS)
