"""Live counters and the per-supplier event channel in Redis (best effort, rebuildable).

Postgres is the record; these exist so dashboards see activity within a second. A batch touches
Redis once: one pipeline of counter increments and one publish per supplier, so the ingest path
pays a single round trip however many events the batch held.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import orjson
import redis.asyncio as redis
from redis.exceptions import RedisError

from wedsync.events.store import StoredEvent

COUNTER_TTL_SECONDS = 3 * 24 * 3600
CHANNEL_PREFIX = "wedsync:events:"


def counter_key(supplier_id: str, day: dt.date) -> str:
    """The Redis hash holding a supplier's event counts per type for one day."""
    return f"wedsync:live:{supplier_id}:{day.isoformat()}"


def channel(supplier_id: str) -> str:
    """The pub/sub channel a supplier's live feed listens on."""
    return f"{CHANNEL_PREFIX}{supplier_id}"


def counts_by_supplier_day(events: list[StoredEvent]) -> dict[tuple[str, dt.date], Counter[str]]:
    """Event counts per (supplier, day) and event type."""
    counts: dict[tuple[str, dt.date], Counter[str]] = defaultdict(Counter)
    for event in events:
        counts[(event.supplier_id, event.occurred_on)][event.event_type] += 1
    return counts


async def publish_live(client: redis.Redis, events: list[StoredEvent]) -> bool:
    """Bump the live counters and publish one delta per supplier; False when Redis failed."""
    if not events:
        return True
    counts = counts_by_supplier_day(events)
    try:
        async with client.pipeline(transaction=False) as pipe:
            for (supplier_id, day), by_type in counts.items():
                key = counter_key(supplier_id, day)
                for event_type, n in by_type.items():
                    pipe.hincrby(key, event_type, n)
                pipe.expire(key, COUNTER_TTL_SECONDS)
                message = {"supplier_id": supplier_id, "day": day.isoformat(), "delta": by_type}
                pipe.publish(channel(supplier_id), orjson.dumps(message))
            await pipe.execute()
    except (RedisError, OSError):
        return False
    return True


async def live_counters(client: redis.Redis, supplier_id: str, day: dt.date) -> dict[str, int]:
    """Today's counters of one supplier (empty when Redis holds none)."""
    raw = await client.hgetall(counter_key(supplier_id, day))
    return {key.decode(): int(value) for key, value in raw.items()}
