"""Tiered rate limits: a sliding window per supplier in Redis, in-process when Redis is down.

The window is a sorted set of request times per tenant, trimmed and counted by one Lua script
using Redis's clock, so every worker sees the same window and a burst at a window's edge cannot
pass twice the limit (as fixed windows allow). When Redis does not answer, each worker keeps
its own window: limits hold per worker instead of failing open.

Unlimited tiers (enterprise, platform: the ingest path) never touch Redis at all.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import time
from collections import deque
from dataclasses import dataclass

import redis.asyncio as redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

KEY_PREFIX = "wedsync:ratelimit"

# KEYS[1]: the tenant's window. ARGV: window (ms), limit, a unique member.
# Returns {allowed (0/1), requests in the window, ms until the oldest leaves the window}.
_SLIDING_WINDOW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < tonumber(ARGV[2]) then
    redis.call('ZADD', KEYS[1], now, ARGV[3])
    count = count + 1
    allowed = 1
end
redis.call('PEXPIRE', KEYS[1], window)
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local reset = window
if oldest[2] then reset = tonumber(oldest[2]) + window - now end
return {allowed, count, reset}
"""


@dataclass(frozen=True)
class RateDecision:
    """Whether a request may go ahead, and what the `X-RateLimit-*` headers tell the client."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> dict[str, str]:
        """`X-RateLimit-Limit/Remaining/Reset`, and `Retry-After` when refused."""
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_seconds),
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(1, self.reset_seconds))
        return headers


def _decision(allowed: bool, limit: int, count: int, reset_ms: float) -> RateDecision:
    return RateDecision(
        allowed=allowed,
        limit=limit,
        remaining=max(0, limit - count),
        reset_seconds=max(0, math.ceil(reset_ms / 1000)),
    )


class LocalWindow:
    """The same sliding window in this process, for when Redis is unreachable."""

    def __init__(self, window_seconds: int) -> None:
        self._window = window_seconds
        self._requests: dict[str, deque[float]] = {}

    def hit(self, tenant: str, limit: int, now: float | None = None) -> RateDecision:
        """Count a request of `tenant` if the window has room."""
        now = time.monotonic() if now is None else now
        times = self._requests.setdefault(tenant, deque())
        while times and times[0] <= now - self._window:
            times.popleft()
        allowed = len(times) < limit
        if allowed:
            times.append(now)
        reset_ms = ((times[0] + self._window - now) if times else self._window) * 1000
        return _decision(allowed, limit, len(times), reset_ms)


class RateLimiter:
    """Sliding-window limits per tenant, in Redis when it answers, else in this process."""

    def __init__(self, client: redis.Redis, window_seconds: int) -> None:
        self._client = client
        self._window = window_seconds
        self._script = client.register_script(_SLIDING_WINDOW)
        self.local = LocalWindow(window_seconds)
        self._pid = os.getpid()
        self._serial = itertools.count()

    async def hit(self, tenant: str, limit: int) -> RateDecision:
        """Count one request of `tenant` against `limit` requests per window."""
        # Unique per request across workers (pid) without the cost of a random token.
        member = f"{time.time_ns()}-{self._pid}-{next(self._serial)}"
        try:
            allowed, count, reset_ms = await self._script(
                keys=[f"{KEY_PREFIX}:{tenant}"], args=[self._window * 1000, limit, member]
            )
        except (RedisError, OSError) as error:
            logger.debug("rate limit counted in-process: Redis unavailable (%s)", error)
            return self.local.hit(tenant, limit)
        return _decision(bool(allowed), limit, int(count), float(reset_ms))
