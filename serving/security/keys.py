"""Who is calling: API keys verified against `app.api_keys`, remembered briefly per worker.

Verifying a key costs a database round trip; the ingest path sees ~50 batches a second from
the same few keys, so a verified key is remembered for `VERIFIED_KEY_TTL_SECONDS`. A revoked
key is forgotten as soon as the revocation is heard (`serving.security.revocations`).

A refused key is remembered too, for `REFUSED_KEY_TTL_SECONDS`, and at most
`MAX_CONCURRENT_LOOKUPS` lookups hold a pooled connection at once: a flood of fake keys costs
the database one lookup per distinct key and can never take the whole pool from real callers.
"""

from __future__ import annotations

import asyncio
import time

from psycopg_pool import AsyncConnectionPool

from serving.core.db import WAREHOUSE_DOWN
from wedsync.api_keys import Principal, hash_key, parse_key_id, verify_api_key_async

VERIFIED_KEY_TTL_SECONDS = 30.0
REFUSED_KEY_TTL_SECONDS = 30.0
MAX_REMEMBERED_KEYS = 10_000
#: Fewer than the pool's connections (`serving.core.db.POOL_MAX_SIZE`).
MAX_CONCURRENT_LOOKUPS = 4


class KeyRing:
    """Verifies bearer keys, remembering verified and refused ones (by hash, never the key)."""

    def __init__(self, pool: AsyncConnectionPool, ttl_seconds: float = VERIFIED_KEY_TTL_SECONDS):
        self._pool = pool
        self._ttl = ttl_seconds
        self._verified: dict[str, tuple[Principal, float]] = {}
        self._refused: dict[str, float] = {}
        self._lookups = asyncio.Semaphore(MAX_CONCURRENT_LOOKUPS)

    def remembered(self, key: str) -> Principal | None:
        """The caller of a key verified within the TTL, without touching the database."""
        entry = self._verified.get(hash_key(key))
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def forget(self, key_id: str) -> None:
        """Drop a revoked key from memory: its next request is looked up (and refused)."""
        for digest in [d for d, (p, _) in self._verified.items() if p.key_id == key_id]:
            del self._verified[digest]

    @staticmethod
    def _remember(memory: dict, digest: str, entry: object) -> None:
        if len(memory) >= MAX_REMEMBERED_KEYS:
            memory.clear()
        memory[digest] = entry

    async def verify(self, key: str) -> Principal | None:
        """The caller a key belongs to, or None when it is unknown, malformed or revoked.

        Raises the pool's or psycopg's error when the warehouse is unreachable and the key
        was never verified here (the route answers 503). While the warehouse cannot be read,
        a key this worker verified before is still honoured after its TTL: no revocation can
        be written during the outage either, and a wedding-day dashboard keeps its answers.
        """
        principal = self.remembered(key)
        if principal is not None:
            return principal
        if parse_key_id(key) is None:
            return None
        digest = hash_key(key)
        now = time.monotonic()
        if self._refused.get(digest, 0.0) > now:
            return None
        try:
            async with self._lookups, self._pool.connection() as conn:
                principal = await verify_api_key_async(conn, key)
        except WAREHOUSE_DOWN:
            entry = self._verified.get(digest)
            if entry is None:
                raise
            return entry[0]
        if principal is None:
            self._remember(self._refused, digest, time.monotonic() + REFUSED_KEY_TTL_SECONDS)
        else:
            self._remember(self._verified, digest, (principal, time.monotonic() + self._ttl))
        return principal
