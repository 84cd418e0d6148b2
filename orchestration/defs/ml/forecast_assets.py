"""Seasonal demand 12 months ahead: `predictions/demand_forecast`, judged per horizon in MLflow."""

import datetime as dt

import dagster as dg
from pydantic import Field

from ml.demand.history import TARGETS, month_start, read_enquiry_history
from ml.demand.publish import (
    FORECAST_EXPERIMENT,
    describe_methods,
    forecast_demand,
    log_forecast_run,
    read_climate_normals,
    replace_demand_forecast,
)
from ml.demand.report import BASELINES, replace_forecast_scores
from ml.demand.scoring import PER_HORIZON
from orchestration.defs.ml.resources import MlflowResource
from orchestration.resources import WarehouseResource

DEMAND_FORECAST = dg.AssetKey(["predictions", "demand_forecast"])
ENQUIRY_FACTS = dg.AssetKey(["marts", "fct_enquiries"])
SEASONAL_BOOKINGS = dg.AssetKey(["marts", "seasonal_bookings"])
CLIMATE_NORMALS = dg.AssetKey(["seeds", "uk_climate_normals"])


class DemandForecastConfig(dg.Config):
    """How many complete wedding months choose the method, and how many later ones report it."""

    validation_months: int = Field(
        default=6, ge=1, description="Wedding months the method is chosen on."
    )
    test_months: int = Field(
        default=6, ge=1, description="Later wedding months the chosen method is reported on."
    )


@dg.asset(
    key=DEMAND_FORECAST,
    deps=[ENQUIRY_FACTS, SEASONAL_BOOKINGS, CLIMATE_NORMALS],
    group_name="ml",
    kinds={"scikitlearn", "mlflow", "postgres"},
    owners=["team:data-science"],
)
def demand_forecast(
    context: dg.AssetExecutionContext,
    config: DemandForecastConfig,
    warehouse: WarehouseResource,
    mlflow: MlflowResource,
) -> dg.MaterializeResult:
    """predictions.demand_forecast: enquiries and bookings per vendor type x region, 12 months.

    Every method (on-the-books and seasonal-naive baselines, pickup, Poisson boosting with and
    without climate normals) forecasts the last complete wedding months at horizons 1-12 from
    rolling origins; at each horizon the method with the lowest WAPE on the validation months
    is published, and that per-horizon forecast is reported on the later test months, per
    horizon, on totals and on pickup (demand not yet on the books). Scores:
    predictions.demand_forecast_scores and _climate, and MLflow.
    """
    experiment_id = mlflow.activate(FORECAST_EXPERIMENT)
    with warehouse.connection() as conn:
        history = read_enquiry_history(conn)
        try:
            normals = read_climate_normals(conn)
        except LookupError as missing:
            raise dg.Failure(str(missing)) from missing
    if history.empty:
        raise dg.Failure("marts.fct_enquiries has no dated enquiries to forecast from")
    try:
        forecast = forecast_demand(history, normals, config.validation_months, config.test_months)
    except ValueError as short:
        raise dg.Failure(str(short)) from short
    run_id = log_forecast_run(forecast, experiment_id)
    with warehouse.connection() as conn:
        written = replace_demand_forecast(conn, forecast, run_id, dt.datetime.now(dt.UTC))
        replace_forecast_scores(conn, forecast.scores, forecast.climate, forecast.windows, run_id)
    verdict = forecast.climate_verdict
    context.log.info(f"demand forecast from {month_start(forecast.origin)}: climate {verdict}")
    test_from, test_to = forecast.windows.test
    metadata: dict[str, dg.MetadataValue] = {
        "dagster/row_count": dg.MetadataValue.int(written),
        "forecast_origin": dg.MetadataValue.text(month_start(forecast.origin).isoformat()),
        "test_window": dg.MetadataValue.text(
            f"{month_start(test_from):%Y-%m}..{month_start(test_to - 1):%Y-%m}"
        ),
        "mlflow_run_id": dg.MetadataValue.text(run_id),
        "climate_normals": dg.MetadataValue.text(verdict),
    }
    for target in TARGETS:
        metadata[f"{target}_method"] = dg.MetadataValue.text(
            describe_methods(forecast.methods[target])
        )
        for compared in (PER_HORIZON, *BASELINES):
            name = "model" if compared == PER_HORIZON else compared
            for metric in ("wape", "mase", "pickup_wape", "pickup_mase"):
                metadata[f"{target}_test_{name}_{metric}"] = dg.MetadataValue.float(
                    forecast.score("test", target, compared, metric)
                )
    return dg.MaterializeResult(metadata=metadata)
