"""Tiered rate limits: a sliding window per supplier in Redis, in-process when Redis is down.

The window is a sorted set of request times per tenant, trimmed and counted by one Lua script
using Redis's clock, so every worker sees the same window and a burst at a window's edge cannot
pass twice the limit (as fixed windows allow). When Redis does not answer, each worker keeps
its own window with its share of the limit (`limit / workers`, at least one request), so the
workers together still admit at most the limit (rounding up to one per worker for limits below
the worker count) instead of each admitting all of it.

A busy tenant would cost one Redis round trip per request, more than the rest of a cached
answer. So a worker may claim a few slots of the window at once (a lease) and hand them out
locally until the lease ends, `1 / LEASE_WINDOW_SHARE` of the window after its claim: a tenant
that uses a lease up before it ends gets twice as many slots next time, up to `1 / LEASE_SHARE`
of its limit; one whose lease ended with slots left gets as many as it used; a quiet tenant gets
one slot, as without leases. A lease lasts a share of the window, not a fixed second, because
what it saves depends on how many of a tenant's requests fall in it: with 200 tenants served in
turn at 1,000 requests/s over two workers, a tenant's requests reach a worker 2.5 times a
second, and a one-second lease sent about every other cached request to Redis.

Claimed slots count in the window whether used or not, and each is counted until one window
after the last moment it can be handed out: the request that claims a lease takes the first
slot, scored at Redis's time of the claim; the others are scored at the lease's end (Redis's
time plus the lease's length), and the worker stops handing them out at its own lease end, timed
from before the claim was sent. So in any interval one window long, across processes, at most
the limit is admitted (where 1-second leases scored at the claim let a slot used late leave the
window early). The price: an unused leased slot is held up to `1 + 1 / LEASE_WINDOW_SHARE`
windows, and a burst may be refused a few slots early. Near the limit a claim takes at most a
`1 / ROOM_SHARE` of the room left (besides the request's own slot), so a tenant's last slots go
out one at a time rather than sitting unused in one worker's lease while another refuses.

A worker claims one lease per tenant at a time: the tenant's other requests meanwhile wait for
that claim and take from its lease (or share its refusal). Without this, every concurrent
request of a busy tenant that found its lease used up sent a claim of its own: wrk's 64
connections on one key made nearly every request a Redis call of up to 256 slots (417-655 req/s
against the same-bytes reference's 11,764-13,026 on a shared machine).

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

import asyncio
import enum
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

#: A lease lasts this share of the window; it claims at most this share of a limit, and of the
#: room left in the window (besides the request's own slot), and never more than `MAX_LEASE`.
LEASE_WINDOW_SHARE = 6
LEASE_SHARE = 20
ROOM_SHARE = 4
MAX_LEASE = 256
#: What an exact limiter answers a tenant whose shard is failing over: retry in a second.
FAILOVER_RETRY_MS = 1000
#: Tenants whose claims a worker remembers before it forgets those with none left in the window.
MAX_LEDGER_TENANTS = 10_000

# KEYS[1]: the tenant's window. ARGV: window (ms), limit, a unique member prefix, slots wanted,
# a lease's length (ms), a claim's share of the room left, then claims to write back (after an
# error) as (member prefix, slots, time in ms) triples. A claim's first slot is scored at its
# time, the others at its time plus the lease's length (the module docstring says why). Returns
# {slots granted (0: refused), requests in the window, ms until the oldest leaves it, Redis's
# time in ms}.
_SLIDING_WINDOW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local window = tonumber(ARGV[1])
local hold = tonumber(ARGV[5])
for c = 7, #ARGV, 3 do
    local at = tonumber(ARGV[c + 2])
    for i = 1, tonumber(ARGV[c + 1]) do
        local score = at
        if i > 1 then score = at + hold end
        if score > now - window then
            redis.call('ZADD', KEYS[1], 'NX', score, ARGV[c] .. '-' .. i)
        end
    end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local room = tonumber(ARGV[2]) - count
local granted = 0
if room > 0 then
    granted = math.min(tonumber(ARGV[4]), 1 + math.floor((room - 1) / tonumber(ARGV[6])))
    local slots = {now, ARGV[3] .. '-1'}
    for i = 2, granted do
        slots[2 * i - 1] = now + hold
        slots[2 * i] = ARGV[3] .. '-' .. i
    end
    redis.call('ZADD', KEYS[1], unpack(slots))
    count = count + granted
end
redis.call('PEXPIRE', KEYS[1], window + hold)
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local reset = window
if oldest[2] then reset = tonumber(oldest[2]) + window - now end
return {granted, count, reset, now}
"""


def window_key(name: str) -> str:
    """The Redis key of a window named `tenant` or `tenant:bucket`, hash-tagged by tenant."""
    tenant, colon, bucket = name.partition(":")
    return hash_tagged(KEY_PREFIX, tenant, f"{colon}{bucket}")


#: The headers every rate-limited answer carries, as written and as ASGI sends them.
_RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
_RAW_RATE_HEADERS = tuple(name.lower().encode("latin-1") for name in _RATE_HEADERS)


@dataclass(frozen=True)
class RateDecision:
    """Whether a request may go ahead, and what the `X-RateLimit-*` headers tell the client."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def _values(self) -> tuple[int, int, int]:
        return (self.limit, self.remaining, self.reset_seconds)

    def headers(self) -> dict[str, str]:
        """`X-RateLimit-Limit/Remaining/Reset`, and `Retry-After` when refused."""
        headers = dict(zip(_RATE_HEADERS, map(str, self._values()), strict=True))
        if not self.allowed:
            headers["Retry-After"] = str(max(1, self.reset_seconds))
        return headers

    def raw_headers(self) -> tuple[tuple[bytes, bytes], ...]:
        """`headers()` of an admitted request as ASGI sends them, for the hot path, which sends
        only those (the names encoded once, the tuple written out: building and encoding a dict
        per request cost more than the rest of the decision, and a zip over a generator 3x
        what this costs)."""
        limit, remaining, reset = _RAW_RATE_HEADERS
        return (
            (limit, b"%d" % self.limit),
            (remaining, b"%d" % self.remaining),
            (reset, b"%d" % self.reset_seconds),
        )


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
    claimed_at: float  # monotonic, taken before the claim was sent
    ends_at: float  # monotonic; Redis counts the unused slots a window past this
    count: int  # requests in the window when claimed, these slots included
    reset_at: float  # monotonic time the window's oldest request leaves it

    def take(self, limit: int, now: float) -> RateDecision | None:
        """One slot, if this lease still has one for `limit` and has not ended."""
        if self.unused < 1 or limit != self.limit or now >= self.ends_at:
            return None
        self.unused -= 1
        return self.decision(now)

    def decision(self, now: float) -> RateDecision:
        """The headers' view: this worker's unused slots are still free to the tenant."""
        return _decision(True, self.limit, self.count - self.unused, (self.reset_at - now) * 1000)

    def next_size(self, limit: int, now: float) -> int:
        """Slots to claim next, from how fast this lease was used.

        Used up before it ended: twice as many. Ended with slots left: as many as were used in
        its time. Idle for as long again after it ended, or another limit: one, as without
        leases.
        """
        length = self.ends_at - self.claimed_at
        if limit != self.limit or now >= self.ends_at + length:
            return 1
        used_up = self.unused == 0 and now < self.ends_at
        wanted = self.size * 2 if used_up else self.size - self.unused
        return max(1, min(wanted, MAX_LEASE, limit // LEASE_SHARE))


#: A claim as the script wrote it: (member prefix, slots, Redis time of the claim in ms).
Claim = tuple[str, int, int]


class ClaimLedger:
    """The slots this worker claimed per window, kept while they count, to write back after a
    loss. Each entry is what the script added: `slots` members, the first scored at the claim's
    time, the others `hold_ms` later."""

    def __init__(self, window_seconds: int, hold_ms: int) -> None:
        self._window_ms = window_seconds * 1000
        self._hold_ms = hold_ms
        self._claims: dict[str, deque[Claim]] = {}
        self._unsure: set[str] = set()

    def _gone(self, claim: Claim, now_ms: int) -> bool:
        """Whether every slot of `claim` has left the window at `now_ms`."""
        return claim[2] + (self._hold_ms if claim[1] > 1 else 0) <= now_ms - self._window_ms

    def record(self, key: str, prefix: str, slots: int, at_ms: int) -> None:
        """Remember a claim Redis granted at `at_ms` (its clock); forget those out of the window."""
        claims = self._claims.setdefault(key, deque())
        claims.append((prefix, slots, at_ms))
        self.confirmed(key, at_ms)
        if len(self._claims) > MAX_LEDGER_TENANTS:
            for stale in [k for k, claims in self._claims.items() if self._gone(claims[-1], at_ms)]:
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
        # In time order, but a leased claim outlasts a later single slot: the trim stops at the
        # first claim still counted (the script skips a replayed slot that has left).
        while claims and self._gone(claims[0], now_ms):
            claims.popleft()


class Claimed(enum.Enum):
    """How a claim ended, for the requests of the tenant that waited for it."""

    LEASED = "take from the lease, or claim again"
    REFUSED = "the window is full: the same refusal"
    UNREACHABLE = "Redis did not answer: refuse (exact) or count in-process"


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
        self.lease_seconds = window_seconds / LEASE_WINDOW_SHARE
        self._hold_ms = math.floor(self.lease_seconds * 1000)
        self.local = LocalWindow(window_seconds)
        self.ledger = ClaimLedger(window_seconds, self._hold_ms)
        self._leases: dict[str, Lease] = {}
        self._in_flight: dict[str, asyncio.Future[tuple[Claimed, RateDecision]]] = {}
        self._pid = os.getpid()
        self._serial = itertools.count()

    async def hit(self, tenant: str, limit: int) -> RateDecision:
        """Count one request of `tenant` against `limit`: from its lease, else from Redis."""
        while True:
            lease = self._leases.get(tenant)
            if lease is not None:
                decision = lease.take(limit, time.monotonic())
                if decision is not None:
                    return decision
            in_flight = self._in_flight.get(tenant)
            if in_flight is None:
                break
            outcome, shared = await asyncio.shield(in_flight)
            if outcome is Claimed.REFUSED:
                return shared
            if outcome is Claimed.UNREACHABLE:
                return self._unreachable(tenant, limit)
        claim: asyncio.Future[tuple[Claimed, RateDecision]] = (
            asyncio.get_running_loop().create_future()
        )
        self._in_flight[tenant] = claim
        # Cancelled or failed: the waiters claim again themselves.
        outcome, decision = Claimed.LEASED, _decision(False, limit, limit, FAILOVER_RETRY_MS)
        try:
            outcome, decision = await self._claim(tenant, limit, lease)
            return decision
        finally:
            del self._in_flight[tenant]
            claim.set_result((outcome, decision))

    async def _claim(
        self, tenant: str, limit: int, previous: Lease | None
    ) -> tuple[Claimed, RateDecision]:
        """Claim slots for `tenant` in Redis: this request's, and a lease of more if it is busy."""
        now = time.monotonic()
        wanted = 1 if previous is None else previous.next_size(limit, now)
        # Unique per claim across workers (pid) without the cost of a random token.
        prefix = f"{time.time_ns()}-{self._pid}-{next(self._serial)}"
        key = window_key(tenant)
        try:
            granted, count, reset_ms, now_ms = await self._script(
                keys=[key],
                args=[
                    self._window * 1000,
                    limit,
                    prefix,
                    wanted,
                    self._hold_ms,
                    ROOM_SHARE,
                    *self.ledger.replay(key),
                ],
            )
        except (RedisError, OSError) as error:
            logger.debug("rate limit: the tenant's Redis is unreachable (%s)", error)
            self.ledger.lost()
            self._leases.pop(tenant, None)
            return Claimed.UNREACHABLE, self._unreachable(tenant, limit)
        if not granted:
            self.ledger.confirmed(key, int(now_ms))
            return Claimed.REFUSED, _decision(False, limit, int(count), float(reset_ms))
        self.ledger.record(key, prefix, int(granted), int(now_ms))
        lease = Lease(
            limit=limit,
            size=int(granted),
            unused=int(granted) - 1,  # this request takes the first slot
            claimed_at=now,
            # Never past the slots' score: `now` was taken before Redis read its clock, and the
            # hold is rounded down to whole ms.
            ends_at=now + self._hold_ms / 1000,
            count=int(count),
            reset_at=now + float(reset_ms) / 1000,
        )
        self._leases[tenant] = lease
        return Claimed.LEASED, lease.decision(now)

    def _unreachable(self, tenant: str, limit: int) -> RateDecision:
        """With the tenant's Redis unreachable: exact, refuse; else count in-process."""
        if self._exact:
            return _decision(False, limit, limit, FAILOVER_RETRY_MS)
        return self.local.hit(tenant, max(1, limit // self._workers))
