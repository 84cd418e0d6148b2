"""The read cache: finished JSON answers in Redis, keyed by tenant, data version and query.

Key: `wedsync:cache:<answer format>:<tenant>:<dataset version>:<normalized query>`. The
version comes from `app.dataset_versions` and moves when Dagster rebuilds the marts, so an
answer computed from older marts can never be served again after a build; old entries just
expire. The answer format is a digest of the API's response schemas: a deploy that changes an
answer's shape (a new field the dashboard reads) never serves the previous release's answers,
which would otherwise live on for up to the TTL with the same data version.

Values are the exact response bytes prefixed by their ETag, so a hit is one Redis GET and a
write to the socket: nothing is decoded or re-serialized. Each worker also keeps its most used
answers in memory (same keys), so a hot answer costs no Redis round trip at all. Redis is best
effort: when it is down, answers not in the worker's memory are computed from Postgres.

A key is computed once however many ask for it at the same time (a stampede after a new build):
within a worker the askers share one computation, and across workers the one that took the
key's lock in Redis, with the read that missed, computes while the others wait for its answer
to appear, for at most `LOCK_WAIT_SECONDS` (then they compute themselves rather than fail).

On a Redis Cluster each script's keys must share a slot: an answer's lock is the answer's key
inside a hash tag (`wedsync:cache-lock:{<answer key>}`), which hashes exactly as the answer's
key does (it holds no braces: the query is URL-encoded), so the two always sit on one shard and
answers still spread over every shard.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from redis.exceptions import RedisError

from wedsync.redis_clients import AsyncRedis, hash_tagged

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


def answer_format(openapi: Mapping[str, Any]) -> str:
    """A short digest of the response schemas in an OpenAPI document (the API's answer shapes)."""
    schemas = json.dumps(openapi.get("components", {}).get("schemas", {}), sort_keys=True)
    return hashlib.blake2b(schemas.encode(), digest_size=4).hexdigest()


def cache_key(answer_format: str, tenant: str, version: int, query: str) -> str:
    """The Redis key of one tenant's answer to one query at one data version and format."""
    return f"{KEY_PREFIX}:{answer_format}:{tenant}:{version}:{query}"


def lock_key(key: str) -> str:
    """The lock of an answer's key: in the same hash slot (its tag is the whole answer key)."""
    return hash_tagged(LOCK_PREFIX, key)


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


@dataclass(frozen=True)
class Claim:
    """A miss: whether this worker holds the key's lock (and computes) or another worker does."""

    lock: str
    token: str
    held: bool


class ResponseCache:
    """Answers in this worker's memory and in Redis, computed once per key."""

    def __init__(
        self, client: AsyncRedis, answer_format: str = "", ttl_seconds: int = CACHE_TTL_SECONDS
    ):
        self._client = client
        self._format = answer_format
        self._ttl = ttl_seconds
        self._in_flight: dict[str, asyncio.Future[CachedAnswer]] = {}
        self.local = LocalAnswers()
        self._get_or_claim = client.register_script(_GET_OR_CLAIM)
        self._store = client.register_script(_STORE)
        self._release = client.register_script(_RELEASE)

    def key(self, tenant: str, version: int, query: str) -> str:
        """The key of one tenant's answer to one query at one data version, in this format."""
        return cache_key(self._format, tenant, version, query)

    def _held(self, key: str, stored: object) -> CachedAnswer | None:
        """A stored value as an answer (kept in this worker's memory); None for a miss."""
        if not isinstance(stored, bytes) or len(stored) < _ETAG_LENGTH:
            return None  # the client never decodes responses, so values are bytes
        answer = CachedAnswer(body=stored[_ETAG_LENGTH:], etag=stored[:_ETAG_LENGTH].decode())
        self.local.put(key, answer)
        return answer

    async def get(self, key: str) -> CachedAnswer | None:
        """The cached answer, or None on a miss (Redis unavailable: this worker's only)."""
        answer = self.local.get(key)
        if answer is not None:
            return answer
        try:
            return self._held(key, await self._client.get(key))
        except (RedisError, OSError) as error:
            logger.debug("cache read skipped: %s", error)
            return None

    async def lookup(self, key: str) -> CachedAnswer | Claim:
        """The cached answer or, on a miss, the claim to compute it: one Redis round trip.

        Redis unavailable: this worker's memory only, and a miss is this worker's to compute.
        """
        answer = self.local.get(key)
        if answer is not None:
            return answer
        lock, token = lock_key(key), f"{os.getpid()}-{secrets.token_hex(4)}"
        try:
            stored, held = await self._get_or_claim(
                keys=[key, lock], args=[token, int(LOCK_WAIT_SECONDS * 1000)]
            )
        except (RedisError, OSError) as error:
            logger.debug("cache read skipped: %s", error)
            return Claim(lock, token, held=True)
        return self._held(key, stored) or Claim(lock, token, held=bool(held))

    async def put(self, key: str, answer: CachedAnswer, claim: Claim | None = None) -> None:
        """Store an answer and free the claim's lock (if still held) in one round trip.

        Best effort: a failed write only costs a later recomputation (and the lock expires).
        """
        self.local.put(key, answer)
        # The lock's name even when none is held: a cluster routes the script by its keys.
        lock, token = (claim.lock, claim.token) if claim and claim.held else (lock_key(key), "")
        try:
            await self._store(
                keys=[key, lock], args=[answer.etag.encode() + answer.body, self._ttl, token]
            )
        except (RedisError, OSError) as error:
            logger.debug("cache write skipped: %s", error)

    async def compute_once(
        self, key: str, compute: Callable[[], Awaitable[bytes]], claim: Claim
    ) -> CachedAnswer:
        """Compute and store the answer for a missed `key`, once however many ask at a time.

        Within this worker the askers share one computation; across workers the one holding
        the key's lock (`claim`, from `lookup`) computes and the others wait for its answer.
        """
        pending = self._in_flight.get(key)
        if pending is not None:
            if claim.held:
                # The asker computing here got its lookup answered first but holds no lock:
                # free ours, so that its next poll takes the lock and computes.
                await self._free(claim)
            return await asyncio.shield(pending)
        future: asyncio.Future[CachedAnswer] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        try:
            answer = await self._computed_by_one_worker(key, compute, claim)
            future.set_result(answer)
            return answer
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # mark retrieved: followers re-raise it, none may exist
            raise
        finally:
            del self._in_flight[key]

    async def _computed_by_one_worker(
        self, key: str, compute: Callable[[], Awaitable[bytes]], claim: Claim
    ) -> CachedAnswer:
        """Compute while holding the key's lock, or take the answer its holder stores.

        A worker waiting for another polls for the answer; if the holder fails (and so frees
        the lock) the next poll takes the lock and computes.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LOCK_WAIT_SECONDS
        while not claim.held and loop.time() < deadline:
            await asyncio.sleep(LOCK_POLL_SECONDS)
            found = await self.lookup(key)
            if isinstance(found, CachedAnswer):
                return found
            claim = found
        if not claim.held:
            logger.warning("cache: %s still locked after %s s; computing", key, LOCK_WAIT_SECONDS)
        try:
            answer = CachedAnswer.of(await compute())
        except BaseException:
            if claim.held:
                await self._free(claim)
            raise
        await self.put(key, answer, claim)
        return answer

    async def _free(self, claim: Claim) -> None:
        """Free a claim's lock if it is still ours (it may have expired and been taken)."""
        try:
            await self._release(keys=[claim.lock], args=[claim.token])
        except (RedisError, OSError) as error:
            logger.debug("cache lock left to expire: %s", error)


# KEYS: an answer's key, its lock's. ARGV: a token, the lock's lifetime (ms).
# Returns {the stored answer or '', 1 if this caller now holds the lock}.
_GET_OR_CLAIM = """
local stored = redis.call('GET', KEYS[1])
if stored then return {stored, 0} end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {'', 1} end
return {'', 0}
"""
# KEYS: an answer's key, its lock's. ARGV: the answer, its TTL (s), the lock's token ('' for none).
_STORE = """
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
if ARGV[3] ~= '' and redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
return 1
"""
# KEYS[1]: a key's lock; ARGV[1]: the token it was taken with. Deletes it only if still held.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
