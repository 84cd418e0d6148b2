"""The breaker closes by itself once Postgres answers its probe (recovery without a restart)."""

from __future__ import annotations

import asyncio

import pytest

from serving.core.breaker import WarehouseBreaker
from wedsync.settings import get_settings

pytestmark = pytest.mark.integration


def test_the_breaker_closes_and_refreshes_the_pool_when_postgres_answers() -> None:
    refreshed: list[bool] = []

    async def refresh_pool() -> None:
        refreshed.append(True)

    async def scenario() -> tuple[bool, bool]:
        breaker = WarehouseBreaker(
            get_settings().database_url_for("postgres"),
            probe_seconds=0.05,
            on_recovery=refresh_pool,
        )
        breaker.trip("server closed the connection unexpectedly")
        opened = breaker.is_open
        for _ in range(200):
            if not breaker.is_open:
                break
            await asyncio.sleep(0.05)
        await breaker.stop()
        return opened, breaker.is_open

    opened, still_open = asyncio.run(scenario())
    assert opened and not still_open
    assert refreshed == [True]
