"""The data versions the cache keys answers by, kept in memory and pushed by Postgres.

Reading `app.dataset_versions` on every request cost a cached answer a Postgres round trip
and a pooled connection: the pool, not Redis, limited cached reads. Instead each worker
LISTENs on `wedsync_dataset_versions` (a trigger notifies every change, in the bumping
transaction, so the notice arrives as it commits), reads the versions once after listening
(so no bump can fall between), and keeps them in memory.

While the listening connection is down the versions are unknown (`current` returns None)
and requests read them from Postgres as before, so a lost notice can never serve a stale
version: the watcher only answers while its connection is alive.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import psycopg
from psycopg import sql

from serving.background import raise_if_cancelled
from wedsync.warehouse.dataset_versions import VERSION_CHANNEL

logger = logging.getLogger(__name__)

RECONNECT_SECONDS = 1.0


# A silently dead network would leave LISTEN waiting forever; TCP keepalives notice it.
_KEEPALIVES = {
    "keepalives": "1",
    "keepalives_idle": "5",
    "keepalives_interval": "2",
    "keepalives_count": "2",
}


class DatasetVersions:
    """The latest version of each dataset, while a LISTEN connection keeps it current."""

    def __init__(self, conninfo: str, on_lost: Callable[[str], None] | None = None) -> None:
        self._conninfo = conninfo
        self._on_lost = on_lost
        self._versions: dict[str, int] = {}
        self.live = False

    def current(self, dataset: str) -> int | None:
        """The dataset's version (0 before its first build); None when not listening."""
        return self._versions.get(dataset, 0) if self.live else None

    def _apply(self, payload: str) -> None:
        dataset, _, version = payload.rpartition(":")
        if dataset and version.isdigit():
            self._versions[dataset] = max(int(version), self._versions.get(dataset, 0))

    async def _listen(self) -> None:
        conninfo = psycopg.conninfo.make_conninfo(self._conninfo, **_KEEPALIVES)
        async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
            await conn.execute(sql.SQL("listen {}").format(sql.Identifier(VERSION_CHANNEL)))
            cursor = await conn.execute("select dataset, version from app.dataset_versions")
            self._versions = {dataset: int(version) for dataset, version in await cursor.fetchall()}
            self.live = True
            async for notice in conn.notifies():
                self._apply(notice.payload)

    async def run(self) -> None:
        """Listen until cancelled, reconnecting every `RECONNECT_SECONDS` after a failure."""
        while True:
            try:
                await self._listen()
            except (psycopg.Error, OSError) as error:
                logger.debug("dataset versions read per request: %s", error)
                if self.live and self._on_lost is not None:
                    self._on_lost(f"the dataset-version listener lost Postgres: {error}")
            finally:
                self.live = False
            raise_if_cancelled()
            await asyncio.sleep(RECONNECT_SECONDS)
