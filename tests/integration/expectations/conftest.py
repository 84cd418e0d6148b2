"""Fixtures for quality integration tests: a simulated landing zone and a loaded warehouse."""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pytest

from orchestration.defs.ingestion.resources import LandingZoneResource
from orchestration.defs.quality.resources import GreatExpectationsResource
from orchestration.resources import WarehouseResource
from tests.support import throwaway_database
from wedsync.exports import export_dates
from wedsync.simulator import SimulationConfig, simulate
from wedsync.warehouse import apply_schema, connect

AS_OF = dt.date(2026, 11, 25)


def quality_resources(database_url: str, landing_dir: Path, docs_dir: Path) -> dict[str, object]:
    """The resources the ingestion assets and the quality checks need, on one database."""
    warehouse = WarehouseResource(database_url=database_url)
    return {
        "warehouse": warehouse,
        "landing_zone": LandingZoneResource(landing_dir=str(landing_dir)),
        "great_expectations": GreatExpectationsResource(
            warehouse=warehouse, data_docs_dir=str(docs_dir)
        ),
    }


def export_range_tags(landing_dir: Path) -> dict[str, str]:
    """Run tags selecting every export date in the landing dir (one single-run backfill)."""
    dates = export_dates(landing_dir)
    return {
        "dagster/asset_partition_range_start": dates[0].isoformat(),
        "dagster/asset_partition_range_end": dates[-1].isoformat(),
    }


@pytest.fixture(scope="session")
def simulated_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small simulated data set with the default defect rates (shared by the session)."""
    landing = tmp_path_factory.mktemp("quality_landing")
    simulate(SimulationConfig(landing_dir=landing, seed=7, scale=0.05, as_of=AS_OF))
    return landing


@contextmanager
def schema_database() -> Iterator[str]:
    """A throwaway warehouse with the schema applied; dropped afterwards."""
    with throwaway_database("wedsync_quality") as url:
        with connect(url) as conn:
            apply_schema(conn)
        yield url


@pytest.fixture
def warehouse_url() -> Iterator[str]:
    """A throwaway warehouse for one test."""
    with schema_database() as url:
        yield url


@pytest.fixture
def dagster_instance() -> Iterator[dg.DagsterInstance]:
    """An ephemeral Dagster instance (nothing written under DAGSTER_HOME)."""
    with dg.DagsterInstance.ephemeral() as instance:
        yield instance
