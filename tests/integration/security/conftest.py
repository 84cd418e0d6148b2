"""Fixtures of the security suite: the serving suite's warehouse, Redis db 5, keys and app.

Shared with `tests/integration/serving` (imported, so both suites build the same world), plus
the API on a real uvicorn, in this event loop, for what only a socket shows (WebSockets).
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator

import pytest
import redis

from benchmarks.ingest import stop, wait_until_ready
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

DEPLOYED_PORT = 7510  # this suite's port block


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


@pytest.fixture
def deployed(
    insight_marts: str,  # noqa: F811
    keys: dict[str, str],  # noqa: F811
) -> Iterator[subprocess.Popen[bytes]]:
    """uvicorn with 2 workers on the throwaway warehouse, until the test ends."""
    env = {
        **os.environ,
        "WEDSYNC_DATABASE_URL": insight_marts,
        "WEDSYNC_REDIS_URL": REDIS_URL,
        "WEDSYNC_API_WORKERS": "2",
        # Schemathesis sends thousands of requests with a professional key: still counted,
        # never refused, so every case reaches the route.
        "WEDSYNC_RATE_LIMIT_PROFESSIONAL": "1000000",
    }
    command = [sys.executable, "-m", "uvicorn", "serving.main:app", "--port", str(DEPLOYED_PORT)]
    process = subprocess.Popen(
        [*command, "--workers", "2", "--no-access-log", "--log-level", "warning"], env=env
    )
    try:
        wait_until_ready(DEPLOYED_PORT, process)
        yield process
    finally:
        stop(process)
