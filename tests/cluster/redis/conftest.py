"""Fixtures of the Redis Cluster tests: the API topology on a 6-node Redis Cluster of its own.

The topology's ports are those of `WEDSYNC_CLUSTER_PORT` shifted by 30, so it runs beside the
package's single-Redis topology (`tests/cluster/conftest.py`): HAProxy on base+30, the API
processes on base+41..44, the Redis nodes on base+81..86 (their cluster bus 10,000 higher).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.cluster.conftest import CLUSTER_REDIS_URL, ServedWarehouse
from wedsync.cluster import Cluster, ClusterPorts
from wedsync.redis_clients import AsyncRedis, async_client
from wedsync.settings import get_settings

#: Far above what the feature tests ask; the kill test sets its own.
RATE_LIMIT = 400
#: Longer than the kill test, so every request it makes falls in one window per tenant.
RATE_WINDOW_SECONDS = 120


@pytest.fixture(scope="package")
def redis_topology(
    served_warehouse: ServedWarehouse, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """4 API processes behind HAProxy on a Redis Cluster (3 primaries + 3 replicas)."""
    topology = Cluster(
        ports=ClusterPorts(ClusterPorts.from_env().base + 30),
        settings=dataclasses.replace(get_settings(), database_url=served_warehouse.url),
        run_dir=Path(tmp_path_factory.mktemp("redis-cluster")),
        extra_env={
            "WEDSYNC_RATE_LIMIT_PROFESSIONAL": str(RATE_LIMIT),
            "WEDSYNC_RATE_WINDOW_SECONDS": str(RATE_WINDOW_SECONDS),
        },
        with_mlflow=False,
        redis_cluster=True,
    )
    topology.up()
    try:
        yield topology
    finally:
        topology.down()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["one Redis", "Redis Cluster"])
async def redis_url(request: pytest.FixtureRequest) -> str:
    """Each feature test runs on one Redis (this package's db) and on the cluster."""
    if request.param == "one Redis":
        return CLUSTER_REDIS_URL
    topology: Cluster = request.getfixturevalue("redis_topology")
    return topology.redis_url


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[AsyncRedis]:
    """An asyncio client of the test's Redis, as the API opens it."""
    redis = async_client(redis_url, socket_timeout=2.0)
    try:
        yield redis
    finally:
        await redis.aclose()


@pytest.fixture
def tenant() -> str:
    """A supplier id no other test uses (keys and channels are shared across tests)."""
    return f"sup_98{uuid.uuid4().int % 10_000:04d}"
