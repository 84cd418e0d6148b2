"""Tiered rate limits: a sliding window per supplier in Redis, in-process when Redis is down.

The window is a sorted set of request times per tenant, trimmed and counted by one Lua script
using Redis's clock, so every worker sees the same window and a burst at a window's edge cannot
pass twice the limit (as fixed windows allow). When Redis does not answer, each worker keeps
its own window with its share of the limit (`limit / workers`, at least one request), so the
workers together still admit at most the limit (rounding up to one per worker for limits below
the worker count) instead of each admitting all of it.

A busy tenant would cost one Redis round trip per request, more than the rest of a cached
answer. So a worker may claim a few slots of the window at once (a lease) and hand them out
locally for up to `LEASE_SECONDS`: a tenant that needs a new lease within that time gets twice
as many slots next time, up to `1 / LEASE_SHARE` of its limit; a quiet tenant gets one slot, as
without leases. Claimed slots count in the window whether used or not, so the limit is never
exceeded; the price is that a burst may be refused a few slots early, and a slot used up to
`LEASE_SECONDS` after its claim leaves the window that much early.

Unlimited tiers (enterprise, platform: the ingest path) never touch Redis at all.

On a Redis Cluster every window of a tenant is hash-tagged with it (`wedsync:ratelimit:{tenant}`,
`wedsync:ratelimit:{tenant}:ws-connects`), so it lives on one shard and its script runs there,
exact across processes. A cluster replicates asynchronously, so a primary killed right after
granting slots may take them with it, and a promoted replica would grant them again. So each
worker remembers the slots it claimed in the current window (its `ClaimLedger`) and, on the first
call after any Redis error, writes them back with the call (`ZADD NX`: members are unique, so
slots that survived are not counted twice). And while a tenant's shard fails over, a worker in
`exact` mode (the cluster's) refuses that tenant's requests beyond its unused leased slots
(429 with a `Retry-After` of a second) instead of admitting its share in-process: no other
worker's count is visible then, and the share would add to what Redis already holds.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import time
from collections import deque
from dataclasses import dataclass

from redis.exceptions import RedisError

from wedsync.redis_clients import AsyncRedis, hash_tagged

logger = logging.getLogger(__name__)

KEY_PREFIX = "wedsync:ratelimit"

#: How long a worker may hand out the slots it claimed, and the most of a limit it may claim.
LEASE_SECONDS = 1.0
LEASE_SHARE = 20
MAX_LEASE = 256
#: What an exact limiter answers a tenant whose shard is failing over: retry in a second.
FAILOVER_RETRY_MS = 1000
#: Tenants whose claims a worker remembers before it forgets those with none left in the window.
MAX_LEDGER_TENANTS = 10_000

# KEYS[1]: the tenant's window. ARGV: window (ms), limit, a unique member prefix, slots wanted,
# then claims to write back (after an error) as (member prefix, slots, time in ms) triples.
# Returns {slots granted (0: refused), requests in the window, ms until the oldest leaves it,
# Redis's time in ms}.
_SLIDING_WINDOW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local window = tonumber(ARGV[1])
for c = 5, #ARGV, 3 do
    local at = tonumber(ARGV[c + 2])
    if at > now - window then
        for i = 1, tonumber(ARGV[c + 1]) do
            redis.call('ZADD', KEYS[1], 'NX', at, ARGV[c] .. '-' .. i)
        end
    end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local granted = math.max(0, math.min(tonumber(ARGV[4]), tonumber(ARGV[2]) - count))
if granted > 0 then
    local slots = {}
    for i = 1, granted do
        slots[2 * i - 1] = now
        slots[2 * i] = ARGV[3] .. '-' .. i
    end
    redis.call('ZADD', KEYS[1], unpack(slots))
    count = count + granted
end
redis.call('PEXPIRE', KEYS[1], window)
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local reset = window
if oldest[2] then reset = tonumber(oldest[2]) + window - now end
return {granted, count, reset, now}
"""


def window_key(name: str) -> str:
    """The Redis key of a window named `tenant` or `tenant:bucket`, hash-tagged by tenant."""
    tenant, colon, bucket = name.partition(":")
    return hash_tagged(KEY_PREFIX, tenant, f"{colon}{bucket}")


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
        # Rounded to whole ms first: a lease's float arithmetic must not turn 60 s into 61.
        reset_seconds=max(0, math.ceil(round(reset_ms) / 1000)),
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


@dataclass
class Lease:
    """Slots of a tenant's window this worker claimed in Redis and hands out itself."""

    limit: int
    size: int  # slots claimed
    unused: int
    claimed_at: float  # monotonic
    count: int  # requests in the window when claimed, these slots included
    reset_at: float  # monotonic time the window's oldest request leaves it

    def take(self, limit: int, now: float) -> RateDecision | None:
        """One slot, if this lease still has one for `limit` and is not too old to use."""
        if self.unused < 1 or limit != self.limit or now - self.claimed_at >= LEASE_SECONDS:
            return None
        self.unused -= 1
        return self.decision(now)

    def decision(self, now: float) -> RateDecision:
        """The headers' view: this worker's unused slots are still free to the tenant."""
        return _decision(True, self.limit, self.count - self.unused, (self.reset_at - now) * 1000)

    def next_size(self, limit: int, now: float) -> int:
        """Slots to claim next, from how fast this lease was used.

        Used up within `LEASE_SECONDS`: twice as many. Expired with slots left: as many as were
        used in its time. Long idle, or another limit: one, as without leases.
        """
        age = now - self.claimed_at
        if limit != self.limit or age >= 2 * LEASE_SECONDS:
            return 1
        wanted = (
            self.size * 2 if self.unused == 0 and age < LEASE_SECONDS else self.size - self.unused
        )
        return max(1, min(wanted, MAX_LEASE, limit // LEASE_SHARE))


class ClaimLedger:
    """The slots this worker claimed per window, kept for one window, to write back after a loss.

    Entries are `(member prefix, slots, Redis time in ms)`, exactly what the script added.
    """

    def __init__(self, window_seconds: int) -> None:
        self._window_ms = window_seconds * 1000
        self._claims: dict[str, deque[tuple[str, int, int]]] = {}
        self._unsure: set[str] = set()

    def record(self, key: str, prefix: str, slots: int, at_ms: int) -> None:
        """Remember a claim Redis granted at `at_ms` (its clock); forget those out of the window."""
        claims = self._claims.setdefault(key, deque())
        claims.append((prefix, slots, at_ms))
        self.confirmed(key, at_ms)
        if len(self._claims) > MAX_LEDGER_TENANTS:
            oldest = at_ms - self._window_ms
            for stale in [k for k, claims in self._claims.items() if claims[-1][2] <= oldest]:
                del self._claims[stale]
                self._unsure.discard(stale)

    def lost(self) -> None:
        """Redis failed: what it acknowledged last may be gone (a primary died before its replica
        had it), so every window's claims are written back with its next call."""
        self._unsure.update(self._claims)

    def replay(self, key: str) -> list[str | int]:
        """The claims to send back with the next call of `key` (none while Redis was fine)."""
        if key not in self._unsure:
            return []
        return [value for claim in self._claims.get(key, ()) for value in claim]

    def confirmed(self, key: str, now_ms: int) -> None:
        """A call of `key` succeeded at `now_ms`, with its replayed claims."""
        self._unsure.discard(key)
        claims = self._claims.get(key)
        while claims and claims[0][2] <= now_ms - self._window_ms:
            claims.popleft()


class RateLimiter:
    """Sliding-window limits per tenant, in Redis when it answers, else in this process.

    `exact` (a Redis Cluster): while a tenant's shard is unreachable, refuse rather than admit
    an in-process share, so a failover never lets a tenant past its limit.
    """

    def __init__(
        self, client: AsyncRedis, window_seconds: int, workers: int = 1, exact: bool = False
    ) -> None:
        self._client = client
        self._workers = workers
        self._window = window_seconds
        self._exact = exact
        self._script = client.register_script(_SLIDING_WINDOW)
        self.local = LocalWindow(window_seconds)
        self.ledger = ClaimLedger(window_seconds)
        self._leases: dict[str, Lease] = {}
        self._pid = os.getpid()
        self._serial = itertools.count()

    async def hit(self, tenant: str, limit: int) -> RateDecision:
        """Count one request of `tenant` against `limit`: from its lease, else from Redis."""
        now = time.monotonic()
        previous = self._leases.get(tenant)
        if previous is not None:
            decision = previous.take(limit, now)
            if decision is not None:
                return decision
        wanted = 1 if previous is None else previous.next_size(limit, now)
        # Unique per claim across workers (pid) without the cost of a random token.
        prefix = f"{time.time_ns()}-{self._pid}-{next(self._serial)}"
        key = window_key(tenant)
        try:
            granted, count, reset_ms, now_ms = await self._script(
                keys=[key],
                args=[self._window * 1000, limit, prefix, wanted, *self.ledger.replay(key)],
            )
        except (RedisError, OSError) as error:
            self.ledger.lost()
            self._leases.pop(tenant, None)
            if self._exact:
                logger.debug("rate limit refused: the tenant's shard is unreachable (%s)", error)
                return _decision(False, limit, limit, FAILOVER_RETRY_MS)
            logger.debug("rate limit counted in-process: Redis unavailable (%s)", error)
            return self.local.hit(tenant, max(1, limit // self._workers))
        if not granted:
            self.ledger.confirmed(key, int(now_ms))
            return _decision(False, limit, int(count), float(reset_ms))
        self.ledger.record(key, prefix, int(granted), int(now_ms))
        lease = Lease(
            limit=limit,
            size=int(granted),
            unused=int(granted) - 1,  # this request takes the first slot
            claimed_at=now,
            count=int(count),
            reset_at=now + float(reset_ms) / 1000,
        )
        self._leases[tenant] = lease
        return lease.decision(now)
