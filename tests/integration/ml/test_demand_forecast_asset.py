"""`predictions/demand_forecast` against a real Postgres and MLflow, on a synthetic history."""

import dagster as dg
import psycopg
import pytest
from mlflow.tracking import MlflowClient

from ml.demand.publish import FORECAST_EXPERIMENT
from ml.demand.report import forecast_summary_lines
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
            ops={
                "predictions__demand_forecast": {
                    "config": {"validation_months": 3, "test_months": 3}
                }
            }
        ),
    )
    assert result.success
    metadata = materialization_metadata(result, DEMAND_FORECAST)
    for target in ("enquiries", "bookings"):
        # On a growing seasonal market, the chosen method beats last year on the test months,
        # and beats copying the books on the demand still to come.
        test = f"{target}_test"
        assert metadata[f"{test}_model_wape"].value < metadata[f"{test}_seasonal_naive_wape"].value
        assert metadata[f"{test}_model_mase"].value < metadata[f"{test}_seasonal_naive_mase"].value
        assert metadata[f"{test}_model_pickup_wape"].value < 1.0
        assert metadata[f"{test}_on_the_books_pickup_wape"].value == pytest.approx(1.0)
    assert metadata["climate_normals"].value in {
        "they help",
        "they hurt",
        "no measurable effect",
    }

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

    with psycopg.connect(ml_world.database_url) as conn:
        scores = conn.execute(
            'select "window", count(distinct horizon), min(n), bool_or(chosen), '
            "min(window_from), max(window_to) from predictions.demand_forecast_scores "
            'group by "window" order by "window" desc'
        ).fetchall()
        climate_horizons = conn.execute(
            "select count(distinct horizon) from predictions.demand_forecast_climate"
        ).fetchone()
        lines = forecast_summary_lines(conn)
    # Validation months come before test months; each window scored at horizons 0 (all) .. 12.
    (validation, *_, validation_to), (test, *_, test_from, _) = scores
    assert (validation, test) == ("validation", "test")
    assert all(row[1] == 13 and row[3] for row in scores)
    assert validation_to < test_from
    assert climate_horizons == (13,)
    assert any("chosen per horizon on validation" in line for line in lines)
    assert sum(line.lstrip().startswith("all ") for line in lines) == 3

    # Each horizon publishes the method that won it on validation, and the published forecast's
    # test score at that horizon is that method's.
    with psycopg.connect(ml_world.database_url) as conn:
        mismatched = conn.execute(
            "with published as (select distinct horizon_months as horizon, 'bookings' as target, "
            "bookings_method as method from predictions.demand_forecast union all "
            "select distinct horizon_months, 'enquiries', enquiries_method "
            "from predictions.demand_forecast) "
            "select count(*) from published join predictions.demand_forecast_scores as chosen "
            "using (target, horizon) join predictions.demand_forecast_scores as own "
            "on own.target = published.target and own.horizon = published.horizon "
            'and own.method = published.method and own."window" = chosen."window" '
            "where chosen.chosen and chosen.wape is distinct from own.wape"
        ).fetchone()
        methods_per_target = conn.execute(
            "select count(distinct (horizon_months, bookings_method)) "
            "from predictions.demand_forecast"
        ).fetchone()
    assert mismatched == (0,)
    assert methods_per_target == (12,)

    client = MlflowClient(tracking_uri=ml_world.tracking_uri)
    experiment = client.get_experiment_by_name(FORECAST_EXPERIMENT)
    assert experiment is not None
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.run_id == metadata["mlflow_run_id"].value
    assert "test_bookings_seasonal_naive_mase" in run.data.metrics
    history_at = client.get_metric_history(run.info.run_id, "test_bookings_seasonal_naive_wape")
    assert {point.step for point in history_at} == set(range(0, 13))
    assert run.data.params["test_to"] < run.data.params["forecast_origin"]
    assert run.data.tags["climate_normals"] == metadata["climate_normals"].value
