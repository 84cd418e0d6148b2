"""`predictions/demand_forecast` against a real Postgres and MLflow, on a synthetic history."""

import dagster as dg
import psycopg
import pytest
from mlflow.tracking import MlflowClient

from ml.demand.publish import FORECAST_EXPERIMENT
from orchestration.defs.ml.forecast_assets import DEMAND_FORECAST, demand_forecast
from tests.integration.ml.synthetic_features import write_demand_history
from tests.integration.ml.world import MlWorld, materialization_metadata
from tests.unit.ml.synthetic_demand import (
    LEAD_MONTHS,
    REGIONS,
    synthetic_climate_normals,
    synthetic_demand_history,
)

pytestmark = pytest.mark.integration


def test_demand_forecast_backtests_logs_and_publishes_twelve_months(ml_world: MlWorld) -> None:
    history = synthetic_demand_history(seed=3)
    write_demand_history(ml_world.database_url, history, synthetic_climate_normals())
    result = dg.materialize(
        [demand_forecast],
        resources=ml_world.resources,
        run_config=dg.RunConfig(
            ops={"predictions__demand_forecast": {"config": {"backtest_origins": 6}}}
        ),
    )
    assert result.success
    metadata = materialization_metadata(result, DEMAND_FORECAST)
    for target in ("enquiries", "bookings"):
        assert metadata[f"{target}_wape"].value < metadata[f"{target}_seasonal_naive_wape"].value
        assert metadata[f"{target}_mase"].value < metadata[f"{target}_seasonal_naive_mase"].value
    assert metadata["climate_normals"].value in {"they help", "they don't help"}

    with psycopg.connect(ml_world.database_url) as conn:
        months, segments, rows, below_books, origin = conn.execute(
            "select count(distinct month), count(distinct (vendor_type, region)), count(*), "
            "count(*) filter (where bookings_forecast < bookings_on_books), "
            "min(forecast_origin) from predictions.demand_forecast"
        ).fetchone()
    assert (months, segments) == (12, len(LEAD_MONTHS) * len(REGIONS))
    assert rows == months * segments
    assert below_books == 0
    newest = history["created_at"].max()
    assert (origin.year, origin.month) == (newest.year, newest.month)

    client = MlflowClient(tracking_uri=ml_world.tracking_uri)
    experiment = client.get_experiment_by_name(FORECAST_EXPERIMENT)
    assert experiment is not None
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.run_id == metadata["mlflow_run_id"].value
    assert "bookings_seasonal_naive_mase" in run.data.metrics
    assert run.data.tags["climate_normals"] == metadata["climate_normals"].value
