"""`make cluster` on the replicated warehouse answers the built figures, not an empty warehouse.

`WEDSYNC_CLUSTER_POSTGRES=patroni` starts a new Postgres pair (Patroni, etcd, pgbouncer). The
topology copies the served data of the warehouse the settings name (here the package's served
warehouse, standing in for the one `make build` built) into it before the API starts, so the
4 API processes behind HAProxy answer a supplier's metrics with that warehouse's figures.
"""

from __future__ import annotations

import dataclasses
import shutil
import socket
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import httpx
import psycopg
import pytest
import redis

from benchmarks.fault_servers import available
from tests.cluster.conftest import ServedWarehouse
from tests.integration.serving.conftest import PHOTOGRAPHER
from wedsync.api_keys import create_api_key
from wedsync.cluster import Cluster, ClusterPorts
from wedsync.cluster.postgres_ha import PostgresHA, PostgresHAPorts
from wedsync.cluster.topology import API_REPLICAS
from wedsync.settings import get_settings
from wedsync.warehouse import connect

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MISSING = [tool for tool in ("patroni", "etcd", "pgbouncer", "haproxy") if not shutil.which(tool)]
#: This suite's own Redis database (answers are cached by tenant and data version, which a new
#: warehouse repeats: another suite's cached answer must not be served here).
REDIS_URL = urlparse(get_settings().redis_url)._replace(path="/14").geturl()
METRICS = "/api/analytics/metrics"
SINCE = "2026-01-01"


def free_block() -> ClusterPorts:
    """A port block whose API, HAProxy and replicated-warehouse ports are all free (the
    package's API topology may hold the configured block meanwhile)."""
    for base in range(20_000, 60_000, 100):
        ports = ClusterPorts(base)
        needed = [ports.api_lb, ports.stats] + [ports.api(i) for i in range(1, API_REPLICAS + 1)]
        needed += list(range(base + 70, base + 80))
        if all(_free(port) for port in needed):
            return ports
    raise RuntimeError("no free port block in 20000..60000")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_the_replicated_warehouse_serves_the_built_warehouses_figures(
    served_warehouse: ServedWarehouse, tmp_path: Path
) -> None:
    if MISSING or available():
        pytest.skip(f"needs {', '.join(MISSING) or available()} (see .ci/run)")
    redis.Redis.from_url(REDIS_URL).flushdb()
    ports = free_block()
    settings = dataclasses.replace(
        get_settings(), database_url=served_warehouse.url, redis_url=REDIS_URL
    )
    # Not under tmp_path: Patroni runs as the `postgres` OS user, who cannot enter pytest's
    # private temporary directory when the tests run as root.
    ha_root = Path(tempfile.mkdtemp(prefix="wedsync-replicated-cluster-"))
    postgres_ha = PostgresHA(PostgresHAPorts.of(ports), ha_root)
    cluster = Cluster(
        ports=ports,
        settings=settings,
        run_dir=tmp_path / "run",
        with_mlflow=False,
        with_dagster=False,
        redis_cluster=False,
        postgres_ha=postgres_ha,
    )
    try:
        cluster.up()
        assert cluster.seeded_from == served_warehouse.url
        with connect(cluster.settings.database_url) as conn:
            key = create_api_key(conn, PHOTOGRAPHER, "professional", "replicated cluster")
        answer = httpx.get(
            f"http://127.0.0.1:{ports.api_lb}{METRICS}",
            params={"start": SINCE},
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        with psycopg.connect(served_warehouse.url) as source:
            built = source.execute(
                "select sum(enquiries) from marts.vendor_performance"
                " where supplier_id = %s and month >= %s",
                (PHOTOGRAPHER, SINCE),
            ).fetchone()
        assert built is not None and built[0] > 0
        assert answer.json()["vendor_performance_totals"]["enquiries"] == built[0]
    finally:
        cluster.down()
        postgres_ha.destroy()
        shutil.rmtree(ha_root, ignore_errors=True)
