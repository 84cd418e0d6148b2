"""Who is calling: API keys verified against `app.api_keys`, remembered briefly per worker.

Verifying a key costs a database round trip; the ingest path sees ~50 batches a second from
the same few keys, so a verified key is remembered for `VERIFIED_KEY_TTL_SECONDS`. The price
is that a revoked key keeps working for at most that long in a worker that has just seen it.
"""

from __future__ import annotations

import time

from psycopg_pool import AsyncConnectionPool

from serving.db import WAREHOUSE_DOWN
from wedsync.api_keys import Principal, hash_key, verify_api_key_async

VERIFIED_KEY_TTL_SECONDS = 30.0
MAX_REMEMBERED_KEYS = 10_000


class KeyRing:
    """Verifies bearer keys, remembering verified ones (by hash, never the key) for a while."""

    def __init__(self, pool: AsyncConnectionPool, ttl_seconds: float = VERIFIED_KEY_TTL_SECONDS):
        self._pool = pool
        self._ttl = ttl_seconds
        self._verified: dict[str, tuple[Principal, float]] = {}

    def remembered(self, key: str) -> Principal | None:
        """The caller of a key verified within the TTL, without touching the database."""
        entry = self._verified.get(hash_key(key))
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

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
        try:
            async with self._pool.connection() as conn:
                principal = await verify_api_key_async(conn, key)
        except WAREHOUSE_DOWN:
            entry = self._verified.get(hash_key(key))
            if entry is None:
                raise
            return entry[0]
        if principal is not None:
            if len(self._verified) >= MAX_REMEMBERED_KEYS:
                self._verified.clear()
            self._verified[hash_key(key)] = (principal, time.monotonic() + self._ttl)
        return principal
