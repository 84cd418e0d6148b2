"""A throwaway ML world: warehouse with synthetic dbt tables, landing truth, MLflow registry."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestration.defs.ingestion.resources import LandingZoneResource
from orchestration.defs.ml.resources import MlflowResource
from orchestration.resources import WarehouseResource
from tests.integration.ml.synthetic_features import (
    write_features_table,
    write_truth,
    write_vendor_performance,
)
from tests.integration.ml.world import MlWorld
from tests.support import throwaway_database
from tests.unit.ml.synthetic import synthetic_enquiries

ENQUIRIES = 12_000


@pytest.fixture
def ml_world(tmp_path: Path) -> Iterator[MlWorld]:
    enquiries = synthetic_enquiries(ENQUIRIES, seed=5)
    landing = tmp_path / "landing"
    write_truth(landing / "_truth", enquiries)
    with throwaway_database("wedsync_dev_ml") as database_url:
        write_features_table(database_url, enquiries)
        write_vendor_performance(database_url, enquiries)
        yield MlWorld(
            resources={
                "warehouse": WarehouseResource(database_url=database_url),
                "landing_zone": LandingZoneResource(landing_dir=str(landing)),
                "mlflow": MlflowResource(tracking_uri=f"sqlite:///{tmp_path}/mlflow/mlflow.db"),
            },
            database_url=database_url,
            enquiries=enquiries,
        )
