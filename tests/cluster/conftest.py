"""Fixtures of the topology tests: a warehouse with served marts, and the topology serving it.

The topology's ports come from `WEDSYNC_CLUSTER_PORT` (default 8100), so a developer sharing a
machine points the tests at their own port block. Its API processes use Redis db 7 (this suite's
own) on the configured server.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest

from serving.security.tenancy import apply_tenancy
from tests.integration.serving.conftest import MARTS_DDL, PHOTOGRAPHER, VENUE, after_dbt_build
from tests.support import throwaway_database
from wedsync.api_keys import create_api_key
from wedsync.cluster import Cluster
from wedsync.settings import get_settings
from wedsync.warehouse import apply_schema, connect

CLUSTER_REDIS_URL = urlparse(get_settings().redis_url)._replace(path="/7").geturl()
#: Dashboards of suppliers no other suite publishes for (pub/sub channels span every Redis db).
LIVE_SUPPLIERS = [f"sup_97{n:04d}" for n in range(8)]


@dataclass(frozen=True)
class ServedWarehouse:
    """The warehouse's URL and the keys the tests call the API with."""

    url: str
    readers: list[str]  # professional keys of suppliers with marts
    dashboards: dict[str, str]  # supplier -> key, for the live feed
    platform: str


@pytest.fixture(scope="package")
def served_warehouse() -> Iterator[ServedWarehouse]:
    """A throwaway warehouse with two suppliers' marts, and keys."""
    with throwaway_database("wedsync_cluster") as url:
        with connect(url) as conn:
            apply_schema(conn)
            apply_tenancy(conn)
            conn.execute(MARTS_DDL)
            after_dbt_build(conn)
            readers = [
                create_api_key(conn, supplier, "professional", "cluster test")
                for supplier in (PHOTOGRAPHER, VENUE)
            ]
            dashboards = {
                supplier: create_api_key(conn, supplier, "professional", "cluster dashboard")
                for supplier in LIVE_SUPPLIERS
            }
            platform = create_api_key(conn, None, "platform", "cluster test")
        yield ServedWarehouse(url, readers, dashboards, platform)


@pytest.fixture(scope="package")
def cluster(
    served_warehouse: ServedWarehouse, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """4 API processes and 2 MLflow servers behind HAProxy; stopped after the package."""
    settings = dataclasses.replace(
        get_settings(), database_url=served_warehouse.url, redis_url=CLUSTER_REDIS_URL
    )
    with throwaway_database("wedsync_cluster_mlflow") as mlflow_store_url:
        topology = Cluster(
            settings=settings,
            run_dir=Path(tmp_path_factory.mktemp("cluster")),
            # The limiter runs on every request but never refuses the load the tests offer.
            extra_env={"WEDSYNC_RATE_LIMIT_PROFESSIONAL": "100000000"},
            mlflow_store_url=mlflow_store_url,
        )
        topology.up()
        try:
            yield topology
        finally:
            topology.down()
