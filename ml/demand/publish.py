"""The demand forecast end to end: backtest every method, forecast with the best, log, publish.

One MLflow run (experiment `wedsync-demand-forecast`) per forecast holds every method's
rolling-origin WAPE and MASE per target, which method was published and why, and whether the
climate normals helped the boosted model. `predictions.demand_forecast` holds the next 12
wedding months per vendor type x region, with what is already on the books beside them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import mlflow
import numpy as np
import pandas as pd
import psycopg

from ml.demand.backtest import BacktestResult, rolling_origin_backtest, training_rows
from ml.demand.history import SEGMENT, TARGETS, forecast_rows, history_span, month_start
from ml.demand.methods import FORECASTERS, with_climate
from ml.tables import replace_table, sql_value
from ml.threads import one_openmp_thread

FORECAST_EXPERIMENT = "wedsync-demand-forecast"
#: Climate normals "help" only if they cut every backtest error by at least this share.
CLIMATE_MIN_GAIN = 0.01
CLIMATE_TABLE = "seeds.uk_climate_normals"
FORECAST_TABLE = ("predictions", "demand_forecast")
FORECAST_COLUMNS = (
    "month",
    "vendor_type",
    "region",
    "horizon_months",
    "enquiries_forecast",
    "bookings_forecast",
    "enquiries_on_books",
    "bookings_on_books",
    "enquiries_last_year",
    "bookings_last_year",
    "enquiries_method",
    "bookings_method",
    "forecast_origin",
    "mlflow_run_id",
    "created_at",
)
FORECAST_DDL = """
create schema if not exists predictions;
create table if not exists predictions.demand_forecast (
    month               date             not null,
    vendor_type         text             not null,
    region              text             not null,
    horizon_months      integer          not null check (horizon_months between 1 and 12),
    enquiries_forecast  double precision not null check (enquiries_forecast >= 0),
    bookings_forecast   double precision not null check (bookings_forecast >= 0),
    enquiries_on_books  integer          not null,
    bookings_on_books   integer          not null,
    enquiries_last_year integer,
    bookings_last_year  integer,
    enquiries_method    text             not null,
    bookings_method     text             not null,
    forecast_origin     date             not null,
    mlflow_run_id       text,
    created_at          timestamptz      not null,
    primary key (month, vendor_type, region)
);
"""


@dataclass(frozen=True)
class DemandForecast:
    """The published forecast rows, the backtest behind them, and the climate verdict."""

    forecast: pd.DataFrame
    backtest: BacktestResult
    methods: dict[str, str]
    origin: int
    backtest_origins: list[int]

    def climate_effect(self) -> dict[str, float]:
        """WAPE and MASE of boosting with climate minus without, per target (< 0 = helps)."""
        effect = {}
        for target in TARGETS:
            for metric in ("wape", "mase"):
                with_normals = self.backtest.score("boosted_climate", target, metric)
                without = self.backtest.score("boosted", target, metric)
                effect[f"{target}_{metric}"] = with_normals - without
        return effect

    @property
    def climate_verdict(self) -> str:
        """'they help' only when climate lowers the boosted model's WAPE and MASE for every
        target by at least `CLIMATE_MIN_GAIN` (relative); smaller changes are noise."""
        for target in TARGETS:
            for metric in ("wape", "mase"):
                without = self.backtest.score("boosted", target, metric)
                if self.climate_effect()[f"{target}_{metric}"] > -CLIMATE_MIN_GAIN * without:
                    return "they don't help"
        return "they help"


def read_climate_normals(conn: psycopg.Connection) -> pd.DataFrame:
    """`region, month, rain_days, mean_temp_c` from the dbt seed (LookupError if not loaded)."""
    exists = conn.execute("select to_regclass(%s)", (CLIMATE_TABLE,)).fetchone()
    if exists is None or exists[0] is None:
        raise LookupError(f"{CLIMATE_TABLE} does not exist: run `dbt seed` first")
    rows = conn.execute(
        f"select region, month, rain_days, mean_temp_c from {CLIMATE_TABLE}"
    ).fetchall()
    normals = pd.DataFrame(rows, columns=["region", "month", "rain_days", "mean_temp_c"])
    return normals.astype({"month": "int64", "rain_days": "float64", "mean_temp_c": "float64"})


def forecast_demand(
    enquiry_months: pd.DataFrame, normals: pd.DataFrame, backtest_origins: int
) -> DemandForecast:
    """Backtest every method over the last `backtest_origins` months, then forecast with the
    best (lowest WAPE) per target from the newest month."""
    first, newest = history_span(enquiry_months)
    origins = list(range(first + 1, newest + 1))
    rows = with_climate(forecast_rows(enquiry_months, origins), normals)
    tested = [origin for origin in origins if origin >= newest - backtest_origins][:-1]
    backtest = rolling_origin_backtest(rows, enquiry_months, tested, list(FORECASTERS))
    methods = {target: backtest.best_method(target) for target in TARGETS}
    train, live = training_rows(rows, newest), rows[rows["origin"] == newest]
    forecast = live[[*SEGMENT, "month", "horizon"]].copy()
    with one_openmp_thread():
        for target, method in methods.items():
            # Weddings already on the books will happen, whichever method forecast the rest.
            forecast[f"{target}_forecast"] = np.maximum(
                FORECASTERS[method](train, live, target), live[f"{target}_on_books"]
            )
    for column in ("enquiries_on_books", "bookings_on_books", *(f"{t}_last_year" for t in TARGETS)):
        forecast[column] = live[column]
    return DemandForecast(forecast.reset_index(drop=True), backtest, methods, newest, tested)


def log_forecast_run(forecast: DemandForecast, experiment_id: str) -> str:
    """Log the backtest and the choice to MLflow as one run; return its id."""
    backtest = forecast.backtest
    with mlflow.start_run(experiment_id=experiment_id, run_name="demand-forecast") as run:
        mlflow.log_params(
            {
                "forecast_origin": month_start(forecast.origin).isoformat(),
                "backtest_origins": len(forecast.backtest_origins),
                "backtest_from": month_start(forecast.backtest_origins[0]).isoformat(),
                "methods": ",".join(FORECASTERS),
                "segments": len(forecast.forecast[SEGMENT].drop_duplicates()),
            }
        )
        for row in backtest.scores.itertuples(index=False):
            mlflow.log_metric(f"{row.target}_{row.method}_wape", row.wape)
            mlflow.log_metric(f"{row.target}_{row.method}_mase", row.mase)
        mlflow.log_metrics({f"climate_effect_{k}": v for k, v in forecast.climate_effect().items()})
        mlflow.set_tags(
            {
                **{f"{target}_method": method for target, method in forecast.methods.items()},
                "climate_normals": forecast.climate_verdict,
            }
        )
        mlflow.log_table(backtest.scores, artifact_file="backtest_scores.json")
        by_horizon = (
            backtest.forecasts.groupby(["method", "target", "horizon"])[["abs_error", "actual"]]
            .sum()
            .reset_index()
        )
        by_horizon["wape"] = by_horizon["abs_error"] / by_horizon["actual"]
        mlflow.log_table(by_horizon, artifact_file="backtest_wape_by_horizon.json")
    return run.info.run_id


def replace_demand_forecast(
    conn: psycopg.Connection, forecast: DemandForecast, run_id: str, created_at: dt.datetime
) -> int:
    """Replace `predictions.demand_forecast` with this forecast; return rows written."""
    origin = month_start(forecast.origin)

    def count(value: float) -> int | None:
        return None if sql_value(value) is None else int(value)

    rows = (
        (
            month_start(int(row.month)),
            row.vendor_type,
            row.region,
            int(row.horizon),
            round(max(float(row.enquiries_forecast), 0.0), 2),
            round(max(float(row.bookings_forecast), 0.0), 2),
            int(row.enquiries_on_books),
            int(row.bookings_on_books),
            count(row.enquiries_last_year),
            count(row.bookings_last_year),
            forecast.methods["enquiries"],
            forecast.methods["bookings"],
            origin,
            run_id,
            created_at,
        )
        for row in forecast.forecast.itertuples(index=False)
    )
    return replace_table(conn, FORECAST_DDL, FORECAST_TABLE, FORECAST_COLUMNS, rows)
