"""A notice listener cut off by Postgres comes back when asked, not at its next retry."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from serving.cache.versions import DatasetVersions
from serving.core import notices

pytestmark = pytest.mark.integration


def test_a_cut_listener_asked_to_reconnect_is_live_again_before_its_retry_is_due(
    monkeypatch: pytest.MonkeyPatch, warehouse_url: str
) -> None:
    # Its own retry is an hour away: only `reconnected` can bring it back within the test.
    monkeypatch.setattr(notices, "RECONNECT_SECONDS", 3600.0)
    database_url = warehouse_url

    async def scenario() -> tuple[bool, bool, int | None]:
        versions = DatasetVersions(database_url)
        task = asyncio.create_task(versions.run())
        for _ in range(200):
            if versions.live:
                break
            await asyncio.sleep(0.05)
        assert versions.live, "the listener never connected"
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            await conn.execute(
                # The listener's last statement is its read of the versions after LISTEN.
                "select pg_terminate_backend(pid) from pg_stat_activity"
                " where query = 'select dataset, version from app.dataset_versions'"
                " and datname = current_database() and pid <> pg_backend_pid()",
            )
        for _ in range(200):
            if not versions.live:
                break
            await asyncio.sleep(0.05)
        cut = not versions.live
        await versions.reconnected()
        live_again, version = versions.live, versions.current("no_such_dataset")
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return cut, live_again, version

    cut, live_again, version = asyncio.run(scenario())
    assert cut, "terminating the backend cut the listener"
    assert live_again and version == 0
