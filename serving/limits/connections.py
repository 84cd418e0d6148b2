"""How many live-feed WebSockets a tenant holds at once, across every worker.

Each tenant has a Redis hash of worker -> connections it holds there, and every worker beats
its id into one sorted set every `BEAT_SECONDS`. Admitting a connection is one Lua script:
it drops the counts of workers silent for `STALE_SECONDS` (a crashed worker's connections are
gone with it, so its count must not lock the tenant out), sums the rest, and counts the new
connection only if the sum is under the cap. Closing a connection decrements its worker's count.

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

import redis.asyncio as redis
from redis.exceptions import RedisError

from serving.core.background import raise_if_cancelled

logger = logging.getLogger(__name__)

KEY_PREFIX = "wedsync:ws-connections"
WORKERS_KEY = f"{KEY_PREFIX}:workers"
BEAT_SECONDS = 10.0
STALE_SECONDS = 30.0

# KEYS[1]: the tenant's hash, KEYS[2]: worker beats. ARGV: worker id, cap, stale after (ms).
_ADMIT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
redis.call('ZADD', KEYS[2], now, ARGV[1])
local held = redis.call('HGETALL', KEYS[1])
local total = 0
for i = 1, #held, 2 do
    local beat = redis.call('ZSCORE', KEYS[2], held[i])
    if (not beat) or now - tonumber(beat) > tonumber(ARGV[3]) then
        redis.call('HDEL', KEYS[1], held[i])
    else
        total = total + tonumber(held[i + 1])
    end
end
if total >= tonumber(ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
return 1
"""
_RELEASE = """
if redis.call('HINCRBY', KEYS[1], ARGV[1], -1) <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
"""


class ConnectionCaps:
    """Admits and releases a tenant's WebSockets against its tier's concurrent cap."""

    def __init__(self, client: redis.Redis, workers: int = 1) -> None:
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
                    keys=[f"{KEY_PREFIX}:{tenant}", WORKERS_KEY],
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
                await self._release(keys=[f"{KEY_PREFIX}:{tenant}"], args=[self.worker_id])
            except (RedisError, OSError) as error:
                logger.debug("WebSocket release not counted in Redis (%s)", error)

    async def run(self) -> None:
        """Beat this worker's id every `BEAT_SECONDS`, so its counts stay live."""
        while True:
            try:
                now = await self._client.time()
                await self._client.zadd(
                    WORKERS_KEY, {self.worker_id: now[0] * 1000 + now[1] // 1000}
                )
            except (RedisError, OSError) as error:
                logger.debug("WebSocket cap beat missed (%s)", error)
            raise_if_cancelled()
            await asyncio.sleep(BEAT_SECONDS)
