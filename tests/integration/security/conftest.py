"""Fixtures of the security suite: the serving suite's warehouse, Redis db 5, keys and app.

Shared with `tests/integration/serving` (imported, so both suites build the same world), plus
the API on a real uvicorn, in this event loop, for what only a socket shows (WebSockets).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest
import redis

from serving.main import create_app
from tests.integration.realtime.conftest import serving
from tests.integration.serving.conftest import (  # noqa: F401  (fixtures)
    REDIS_URL,
    anyio_backend,
    api,
    app,
    insight_marts,
    keys,
    marts,
    redis_db,
    warehouse_url,
)
from wedsync.settings import get_settings

pytestmark = pytest.mark.integration


@pytest.fixture
async def host(
    warehouse_url: str,  # noqa: F811
    redis_db: redis.Redis,  # noqa: F811
    keys: dict[str, str],  # noqa: F811
) -> AsyncIterator[str]:
    """`host:port` of the API (live feed included) on a real uvicorn."""
    settings = dataclasses.replace(get_settings(), database_url=warehouse_url, redis_url=REDIS_URL)
    async with serving(create_app(settings)) as address:
        yield address
