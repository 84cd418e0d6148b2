"""Live counters and the per-supplier event channel in Redis (best effort, rebuildable).

Postgres is the record; these exist so dashboards see activity within a second. A batch touches
Redis once: one script call applies every counter increment and publishes one delta per
supplier, so the ingest path pays a single round trip however many events the batch held.

On a Redis Cluster a script may only touch one slot, so a supplier's counters and channel share
the hash tag `{supplier}`: one script call per supplier, sent concurrently, each publishing on
the supplier's shard channel (`SPUBLISH`), which only the API processes following that supplier
subscribe to (`serving.live.sharded`). Platform dashboards follow every supplier: the same call
also publishes the delta on `PLATFORM_CHANNEL` (classic pub/sub, which the cluster broadcasts).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping

import orjson
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError

from wedsync.events.store import StoredEvent
from wedsync.redis_clients import AsyncRedis, hash_tagged

COUNTER_TTL_SECONDS = 3 * 24 * 3600
CHANNEL_PREFIX = "wedsync:events"
COUNTER_PREFIX = "wedsync:live"
#: On a cluster: every supplier's deltas, for the processes holding platform dashboards.
PLATFORM_CHANNEL = "wedsync:events-platform"


def counter_key(supplier_id: str, day: dt.date) -> str:
    """The Redis hash holding a supplier's event counts per type for one day."""
    return hash_tagged(COUNTER_PREFIX, supplier_id, f":{day.isoformat()}")


def channel(supplier_id: str) -> str:
    """The pub/sub channel a supplier's live feed listens on (same slot as its counters)."""
    return hash_tagged(CHANNEL_PREFIX, supplier_id)


def tagged_supplier(name: bytes | str) -> str:
    """The supplier of a counter key or channel: the text of its hash tag."""
    text = name.decode() if isinstance(name, bytes) else name
    return text[text.index("{") + 1 : text.index("}")]


def counts_by_supplier_day(events: list[StoredEvent]) -> dict[tuple[str, dt.date], Counter[str]]:
    """Event counts per (supplier, day) and event type."""
    counts: dict[tuple[str, dt.date], Counter[str]] = defaultdict(Counter)
    for event in events:
        counts[(event.supplier_id, event.occurred_on)][event.event_type] += 1
    return counts


async def publish_live(client: AsyncRedis, events: list[StoredEvent]) -> bool:
    """Bump the live counters and publish one delta per supplier; False when Redis failed."""
    return await publish_counts(client, counts_by_supplier_day(events))


# One script call applies a whole flush inside Redis: issuing HINCRBY/EXPIRE/PUBLISH one by one
# cost the API worker ~6 commands to encode and ~6 replies to parse per supplier and day, which
# profiling showed was 40% of an ingest worker's CPU. KEYS are the counter hashes; ARGV is the
# TTL, the publish command (PUBLISH, or SPUBLISH on a cluster), the platform channel ('' for
# none), then per key: its channel, its message and its counts as (event type, n) pairs.
_APPLY_COUNTS = """
local ttl, publish, platform = ARGV[1], ARGV[2], ARGV[3]
local i = 4
for k = 1, #KEYS do
    local channel, message, pairs = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
    i = i + 3
    for _ = 1, pairs do
        redis.call('HINCRBY', KEYS[k], ARGV[i], ARGV[i + 1])
        i = i + 2
    end
    redis.call('EXPIRE', KEYS[k], ttl)
    redis.call(publish, channel, message)
    if platform ~= '' then redis.call('PUBLISH', platform, message) end
end
return #KEYS
"""


async def publish_counts(
    client: AsyncRedis, counts: Mapping[tuple[str, dt.date], Counter[str]]
) -> bool:
    """`publish_live` for counts already summed (the API sums many batches into one flush)."""
    if not counts:
        return True
    script = client.register_script(_APPLY_COUNTS)
    on_cluster = isinstance(client, RedisCluster)
    # One call per supplier on a cluster (its keys share one slot), one call in all otherwise.
    calls: dict[str, tuple[list[str], list[str | int | bytes]]] = {}
    for (supplier_id, day), by_type in counts.items():
        keys, args = calls.setdefault(
            supplier_id if on_cluster else "",
            (
                [],
                [
                    COUNTER_TTL_SECONDS,
                    "SPUBLISH" if on_cluster else "PUBLISH",
                    PLATFORM_CHANNEL if on_cluster else "",
                ],
            ),
        )
        keys.append(counter_key(supplier_id, day))
        message = {"supplier_id": supplier_id, "day": day.isoformat(), "delta": by_type}
        args += [channel(supplier_id), orjson.dumps(message), len(by_type)]
        for event_type, n in by_type.items():
            args += [event_type, n]
    outcomes = await asyncio.gather(
        *(script(keys=keys, args=args) for keys, args in calls.values()), return_exceptions=True
    )
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, RedisError | OSError):
            raise outcome
    return not any(isinstance(outcome, BaseException) for outcome in outcomes)


async def live_counters(client: AsyncRedis, supplier_id: str, day: dt.date) -> dict[str, int]:
    """Today's counters of one supplier (empty when Redis holds none)."""
    raw = await client.hgetall(counter_key(supplier_id, day))
    return {
        key.decode() if isinstance(key, bytes) else key: int(value) for key, value in raw.items()
    }
