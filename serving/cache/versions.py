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

from collections.abc import Callable

import psycopg

from serving.core.notices import NoticeListener
from wedsync.warehouse.dataset_versions import VERSION_CHANNEL


class DatasetVersions(NoticeListener):
    """The latest version of each dataset, while a LISTEN connection keeps it current."""

    channel = VERSION_CHANNEL

    def __init__(self, conninfo: str, on_lost: Callable[[str], None] | None = None) -> None:
        super().__init__(conninfo, on_lost)
        self._versions: dict[str, int] = {}

    def current(self, dataset: str) -> int | None:
        """The dataset's version (0 before its first build); None when not listening."""
        return self._versions.get(dataset, 0) if self.live else None

    def notified(self, payload: str) -> None:
        """Apply `dataset:version` (versions only move forward)."""
        dataset, _, version = payload.rpartition(":")
        if dataset and version.isdigit():
            self._versions[dataset] = max(int(version), self._versions.get(dataset, 0))

    async def listening(self, conn: psycopg.AsyncConnection) -> None:
        """Read every dataset's version."""
        cursor = await conn.execute("select dataset, version from app.dataset_versions")
        self._versions = {dataset: int(version) for dataset, version in await cursor.fetchall()}
