"""The read cache: finished JSON answers in Redis, keyed by tenant, data version and query.

Key: `wedsync:cache:<tenant>:<dataset version>:<normalized query>`. The version comes from
`app.dataset_versions` and moves when Dagster rebuilds the marts, so an answer computed from
older marts can never be served again after a build; old entries just expire.

Values are the exact response bytes prefixed by their ETag, so a hit is one Redis GET and a
write to the socket: nothing is decoded or re-serialized. Redis is best effort: when it is down
every request is a miss and is computed from Postgres.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

import redis.asyncio as redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

KEY_PREFIX = "wedsync:cache"
# Entries of an old version are unreachable at once; the TTL only reclaims their memory.
CACHE_TTL_SECONDS = 6 * 3600
_ETAG_LENGTH = 34  # a quoted 32-hex-digit digest


def normalize_query(params: Mapping[str, object]) -> str:
    """A canonical form of the effective query: sorted, empty values dropped, URL-encoded."""
    present = sorted((name, str(value)) for name, value in params.items() if value is not None)
    return urlencode(present) or "-"


def cache_key(tenant: str, version: int, query: str) -> str:
    """The Redis key of one tenant's answer to one query at one data version."""
    return f"{KEY_PREFIX}:{tenant}:{version}:{query}"


def etag_of(body: bytes) -> str:
    """A strong ETag for a response body."""
    return f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'


@dataclass(frozen=True)
class CachedAnswer:
    """A finished JSON answer and its ETag."""

    body: bytes
    etag: str

    @classmethod
    def of(cls, body: bytes) -> CachedAnswer:
        """Wrap freshly computed bytes."""
        return cls(body=body, etag=etag_of(body))


class ResponseCache:
    """Redis-backed answers with one computation per key per worker (stampede protection)."""

    def __init__(self, client: redis.Redis, ttl_seconds: int = CACHE_TTL_SECONDS):
        self._client = client
        self._ttl = ttl_seconds
        self._in_flight: dict[str, asyncio.Future[CachedAnswer]] = {}

    async def get(self, key: str) -> CachedAnswer | None:
        """The cached answer, or None on a miss or when Redis is unavailable."""
        try:
            stored = await self._client.get(key)
        except (RedisError, OSError) as error:
            logger.debug("cache read skipped: %s", error)
            return None
        if not isinstance(stored, bytes) or len(stored) < _ETAG_LENGTH:
            return None  # a miss (the client never decodes responses, so values are bytes)
        return CachedAnswer(body=stored[_ETAG_LENGTH:], etag=stored[:_ETAG_LENGTH].decode())

    async def put(self, key: str, answer: CachedAnswer) -> None:
        """Store an answer (best effort: a failed write only costs a later recomputation)."""
        try:
            await self._client.set(key, answer.etag.encode() + answer.body, ex=self._ttl)
        except (RedisError, OSError) as error:
            logger.debug("cache write skipped: %s", error)

    async def compute_once(self, key: str, compute: Callable[[], Awaitable[bytes]]) -> CachedAnswer:
        """Compute and store the answer for `key`; concurrent callers share one computation."""
        pending = self._in_flight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[CachedAnswer] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        try:
            answer = CachedAnswer.of(await compute())
            await self.put(key, answer)
            future.set_result(answer)
            return answer
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # mark retrieved: followers re-raise it, none may exist
            raise
        finally:
            del self._in_flight[key]
