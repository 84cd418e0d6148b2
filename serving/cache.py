"""The read cache: finished JSON answers in Redis, keyed by tenant, data version and query.

Key: `wedsync:cache:<tenant>:<dataset version>:<normalized query>`. The version comes from
`app.dataset_versions` and moves when Dagster rebuilds the marts, so an answer computed from
older marts can never be served again after a build; old entries just expire.

Values are the exact response bytes prefixed by their ETag, so a hit is one Redis GET and a
write to the socket: nothing is decoded or re-serialized. Each worker also keeps its most used
answers in memory (same keys), so a hot answer costs no Redis round trip at all. Redis is best
effort: when it is down, answers not in the worker's memory are computed from Postgres.

A key is computed once however many ask for it at the same time (a stampede after a new build):
within a worker the askers share one computation, and across workers the one that takes the
key's lock in Redis computes while the others wait for its answer to appear, for at most
`LOCK_WAIT_SECONDS` (then they compute themselves rather than fail).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import secrets
from collections import OrderedDict
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
# Per worker: enough for every tenant's hot answers at the demo scale, bounded in memory.
LOCAL_MAX_ENTRIES = 4096
LOCAL_MAX_BYTES = 64 * 1024 * 1024
LOCK_PREFIX = "wedsync:cache-lock"
LOCK_WAIT_SECONDS = 5.0
LOCK_POLL_SECONDS = 0.01


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


class LocalAnswers:
    """The most recently used answers of this worker, bounded by count and bytes.

    Keys carry the data version, so an entry can never be stale: a new build changes the key.
    A hit here saves the Redis round trip, which profiling showed to be most of a cached
    answer's cost.
    """

    def __init__(self, max_entries: int = LOCAL_MAX_ENTRIES, max_bytes: int = LOCAL_MAX_BYTES):
        self._answers: OrderedDict[str, CachedAnswer] = OrderedDict()
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._bytes = 0

    def get(self, key: str) -> CachedAnswer | None:
        """The answer, marked as just used; None when not held."""
        answer = self._answers.get(key)
        if answer is not None:
            self._answers.move_to_end(key)
        return answer

    def put(self, key: str, answer: CachedAnswer) -> None:
        """Hold an answer, dropping the least recently used ones beyond the bounds."""
        if len(answer.body) > self._max_bytes:
            return
        previous = self._answers.pop(key, None)
        if previous is not None:
            self._bytes -= len(previous.body)
        self._answers[key] = answer
        self._bytes += len(answer.body)
        while len(self._answers) > self._max_entries or self._bytes > self._max_bytes:
            _, dropped = self._answers.popitem(last=False)
            self._bytes -= len(dropped.body)


class ResponseCache:
    """Answers in this worker's memory and in Redis, computed once per key per worker."""

    def __init__(self, client: redis.Redis, ttl_seconds: int = CACHE_TTL_SECONDS):
        self._client = client
        self._ttl = ttl_seconds
        self._in_flight: dict[str, asyncio.Future[CachedAnswer]] = {}
        self.local = LocalAnswers()

    async def get(self, key: str) -> CachedAnswer | None:
        """The cached answer, or None on a miss (Redis unavailable: this worker's only)."""
        answer = self.local.get(key)
        if answer is not None:
            return answer
        try:
            stored = await self._client.get(key)
        except (RedisError, OSError) as error:
            logger.debug("cache read skipped: %s", error)
            return None
        if not isinstance(stored, bytes) or len(stored) < _ETAG_LENGTH:
            return None  # a miss (the client never decodes responses, so values are bytes)
        answer = CachedAnswer(body=stored[_ETAG_LENGTH:], etag=stored[:_ETAG_LENGTH].decode())
        self.local.put(key, answer)
        return answer

    async def put(self, key: str, answer: CachedAnswer) -> None:
        """Store an answer (best effort: a failed write only costs a later recomputation)."""
        self.local.put(key, answer)
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
            answer = await self._computed_by_one_worker(key, compute)
            future.set_result(answer)
            return answer
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # mark retrieved: followers re-raise it, none may exist
            raise
        finally:
            del self._in_flight[key]

    async def _computed_by_one_worker(
        self, key: str, compute: Callable[[], Awaitable[bytes]]
    ) -> CachedAnswer:
        """Compute and store the answer while holding the key's lock, or take the one stored.

        A worker that finds the lock taken polls for the answer; if the holder fails (and so
        frees the lock) the next poll takes the lock and computes.
        """
        lock = f"{LOCK_PREFIX}:{key}"
        token = f"{os.getpid()}-{secrets.token_hex(4)}"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LOCK_WAIT_SECONDS
        while not await self._lock(lock, token):
            if loop.time() >= deadline:
                logger.warning(
                    "cache: %s still locked after %s s; computing", key, LOCK_WAIT_SECONDS
                )
                return await self._computed(key, compute)
            await asyncio.sleep(LOCK_POLL_SECONDS)
            answer = await self.get(key)
            if answer is not None:
                return answer
        try:
            return await self._computed(key, compute)
        finally:
            await self._release(lock, token)

    async def _computed(self, key: str, compute: Callable[[], Awaitable[bytes]]) -> CachedAnswer:
        answer = CachedAnswer.of(await compute())
        await self.put(key, answer)
        return answer

    async def _lock(self, lock: str, token: str) -> bool:
        """Take a key's lock; True also when Redis is down (no other worker can share then)."""
        try:
            taken = await self._client.set(lock, token, nx=True, px=int(LOCK_WAIT_SECONDS * 1000))
        except (RedisError, OSError):
            return True
        return bool(taken)

    async def _release(self, lock: str, token: str) -> None:
        """Free the key's lock if it is still ours (it may have expired and been taken)."""
        try:
            await self._client.eval(_RELEASE, 1, lock, token)
        except (RedisError, OSError) as error:
            logger.debug("cache lock left to expire: %s", error)


# KEYS[1]: a key's lock; ARGV[1]: the token it was taken with. Deletes it only if still held.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
