"""Seasonal demand 12 months ahead: `predictions/demand_forecast`, backtested in MLflow."""

import datetime as dt

import dagster as dg
from pydantic import Field

from ml.demand.history import TARGETS, month_start, read_enquiry_history
from ml.demand.publish import (
    FORECAST_EXPERIMENT,
    forecast_demand,
    log_forecast_run,
    read_climate_normals,
    replace_demand_forecast,
)
from orchestration.defs.ml.resources import MlflowResource
from orchestration.resources import WarehouseResource

DEMAND_FORECAST = dg.AssetKey(["predictions", "demand_forecast"])
ENQUIRY_FACTS = dg.AssetKey(["marts", "fct_enquiries"])
SEASONAL_BOOKINGS = dg.AssetKey(["marts", "seasonal_bookings"])
CLIMATE_NORMALS = dg.AssetKey(["seeds", "uk_climate_normals"])


class DemandForecastConfig(dg.Config):
    """How far back the rolling-origin backtest reaches."""

    backtest_origins: int = Field(
        default=12, ge=1, description="Monthly forecast origins the backtest replays."
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

    Every method (seasonal naive, pickup on what is already booked, Poisson boosting with and
    without climate normals) is replayed by rolling-origin backtest; the lowest-WAPE one per
    target is published. Same definitions as marts.seasonal_bookings (by wedding month).
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
    forecast = forecast_demand(history, normals, config.backtest_origins)
    run_id = log_forecast_run(forecast, experiment_id)
    with warehouse.connection() as conn:
        written = replace_demand_forecast(conn, forecast, run_id, dt.datetime.now(dt.UTC))
    verdict = forecast.climate_verdict
    context.log.info(f"demand forecast from {month_start(forecast.origin)}: climate {verdict}")
    metadata: dict[str, dg.MetadataValue] = {
        "dagster/row_count": dg.MetadataValue.int(written),
        "forecast_origin": dg.MetadataValue.text(month_start(forecast.origin).isoformat()),
        "backtest_origins": dg.MetadataValue.int(len(forecast.backtest_origins)),
        "mlflow_run_id": dg.MetadataValue.text(run_id),
        "climate_normals": dg.MetadataValue.text(verdict),
        "backtest": dg.MetadataValue.md(forecast.backtest.scores.round(4).to_markdown(index=False)),
    }
    for name, change in forecast.climate_effect().items():
        metadata[f"climate_effect_{name}"] = dg.MetadataValue.float(change)
    for target in TARGETS:
        method = forecast.methods[target]
        metadata[f"{target}_method"] = dg.MetadataValue.text(method)
        for metric in ("wape", "mase"):
            metadata[f"{target}_{metric}"] = dg.MetadataValue.float(
                forecast.backtest.score(method, target, metric)
            )
            metadata[f"{target}_seasonal_naive_{metric}"] = dg.MetadataValue.float(
                forecast.backtest.score("seasonal_naive", target, metric)
            )
    return dg.MaterializeResult(metadata=metadata)
