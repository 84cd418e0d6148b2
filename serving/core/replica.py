"""Mart reads from the warehouse's streaming replica, never older than the version they are for.

With a replica configured (`WEDSYNC_REPLICA_DATABASE_URL`, HAProxy's `/replica` port in the
replicated topology), a cache miss computes its answer on the replica and leaves the primary to
ingest. The answer is cached under the data version the primary announced (`DatasetVersions`),
and a replica replays behind the primary: computed there just after a build, the previous
build's marts would be cached under the new version for the cache's whole TTL. So the replica
is used only when its own copy of `app.dataset_versions` has reached that version: the marts
and the version row are replayed in the order they were committed, and replay only moves
forward, so every mart read after that check is at least as new as the version in the key.
A replica behind (or down, or promoted away) hands the read to the primary's pool.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import psycopg

from serving.core.db import WAREHOUSE_DOWN, GuardedPool
from wedsync.warehouse.dataset_versions import read_dataset_version_async


@asynccontextmanager
async def marts_connection(
    primary: GuardedPool, replica: GuardedPool | None, dataset: str, version: int
) -> AsyncIterator[psycopg.AsyncConnection]:
    """A connection whose marts are at `version` of `dataset` or newer: the replica's if it
    has replayed that far, else the primary's."""
    if replica is not None:
        async with AsyncExitStack() as held:
            try:
                conn = await held.enter_async_context(replica.connection())
                caught_up = await read_dataset_version_async(conn, dataset) >= version
            except WAREHOUSE_DOWN:
                caught_up = False
            if caught_up:
                yield conn
                return
    async with primary.connection() as conn:
        yield conn
