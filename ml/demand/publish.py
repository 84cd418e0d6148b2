"""The demand forecast end to end: backtest, choose on validation, score on test, publish.

One MLflow run (experiment `wedsync-demand-forecast`) per forecast holds the windows, every
method's WAPE and MASE per horizon on totals and on pickup, which method was published, and
what the climate normals changed. `predictions.demand_forecast` holds the next 12 wedding
months per vendor type x region, with what is already on the books beside them;
`ml.demand.report` keeps the scores for the build summary.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import mlflow
import numpy as np
import pandas as pd
import psycopg

from ml.demand.backtest import rolling_origin_backtest, training_rows
from ml.demand.climate import climate_contribution, climate_verdict
from ml.demand.history import SEGMENT, TARGETS, forecast_rows, history_span, month_start
from ml.demand.methods import FORECASTERS, with_climate
from ml.demand.scoring import (
    PER_HORIZON,
    WINDOWS,
    ForecastWindows,
    choose_methods,
    horizon_scores,
    per_horizon_points,
)
from ml.tables import replace_table, sql_value
from ml.threads import one_openmp_thread

FORECAST_EXPERIMENT = "wedsync-demand-forecast"
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
    """The published forecast rows, the backtest behind them, its scores and the climate test.

    `methods` is the method chosen per target and horizon; the published forecast's own
    backtest points and scores are under the method name `PER_HORIZON`.
    """

    forecast: pd.DataFrame
    points: pd.DataFrame
    scores: pd.DataFrame
    climate: pd.DataFrame
    methods: dict[str, dict[int, str]]
    origin: int
    windows: ForecastWindows

    def score(self, window: str, target: str, method: str, metric: str, horizon: int = 0) -> float:
        """One figure, e.g. `score("test", "bookings", "pickup", "wape", horizon=12)`; horizon 0
        pools all twelve."""
        scores = self.scores
        row = scores[
            (scores["window"] == window)
            & (scores["target"] == target)
            & (scores["method"] == method)
            & (scores["horizon"] == horizon)
        ]
        return float(row[metric].iloc[0])

    @property
    def climate_verdict(self) -> str:
        """Whether the climate normals measurably change the boosted forecast's test error."""
        return climate_verdict(self.climate)


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
    enquiry_months: pd.DataFrame, normals: pd.DataFrame, validation_months: int, test_months: int
) -> DemandForecast:
    """Backtest every method on the validation and test windows (the last complete months),
    choose per target and horizon on validation, score on test, then forecast from the newest
    month with each horizon's method."""
    first, newest = history_span(enquiry_months)
    windows = ForecastWindows.ending_before(newest, validation_months, test_months)
    # Snapshots from every origin: the pickup scales need last year's, long before the windows.
    origins = list(range(first + 1, newest + 1))
    rows = with_climate(forecast_rows(enquiry_months, origins), normals)
    points = rolling_origin_backtest(rows, windows.months, list(FORECASTERS))
    scores = horizon_scores(points, windows, rows, enquiry_months, first)
    methods = choose_methods(scores, list(FORECASTERS))
    published = per_horizon_points(points, methods)
    scores = pd.concat(
        [scores, horizon_scores(published, windows, rows, enquiry_months, first)],
        ignore_index=True,
    )
    climate = climate_contribution(points, windows)
    points = pd.concat([points, published], ignore_index=True)
    train, live = training_rows(rows, newest), rows[rows["origin"] == newest]
    forecast = live[[*SEGMENT, "month", "horizon"]].copy()
    with one_openmp_thread():
        for target, by_horizon in methods.items():
            method_at = live["horizon"].map(by_horizon).to_numpy()
            values = np.full(len(live), np.nan)
            for method in sorted(set(by_horizon.values())):
                at = method_at == method
                values[at] = FORECASTERS[method](train, live, target)[at]
            # Weddings already on the books will happen, whichever method forecast the rest.
            forecast[f"{target}_forecast"] = np.maximum(values, live[f"{target}_on_books"])
            forecast[f"{target}_method"] = method_at
    for target in TARGETS:
        forecast[f"{target}_on_books"] = live[f"{target}_on_books"]
        forecast[f"{target}_last_year"] = live[f"{target}_last_year_recorded"]
    return DemandForecast(
        forecast.reset_index(drop=True), points, scores, climate, methods, newest, windows
    )


def describe_methods(by_horizon: dict[int, str]) -> str:
    """The per-horizon choice in a few words: runs of horizons with one method, e.g.
    `h1-2 on_the_books, h3-12 boosted`."""
    runs: list[tuple[int, int, str]] = []
    for horizon in sorted(by_horizon):
        method = by_horizon[horizon]
        if runs and runs[-1][2] == method and runs[-1][1] == horizon - 1:
            runs[-1] = (runs[-1][0], horizon, method)
        else:
            runs.append((horizon, horizon, method))
    return ", ".join(
        f"h{first}{'' if first == last else f'-{last}'} {method}" for first, last, method in runs
    )


def _window_params(forecast: DemandForecast) -> dict[str, object]:
    params: dict[str, object] = {"forecast_origin": month_start(forecast.origin).isoformat()}
    for name in WINDOWS:
        start, end = getattr(forecast.windows, name)
        params[f"{name}_from"] = month_start(start).isoformat()
        params[f"{name}_to"] = month_start(end - 1).isoformat()
        in_window = forecast.scores[
            (forecast.scores["window"] == name) & (forecast.scores["horizon"] == 0)
        ]
        params[f"{name}_points"] = int(in_window["n"].max())
    return params


def log_forecast_run(forecast: DemandForecast, experiment_id: str) -> str:
    """Log the windows, every method's per-horizon scores (as steps 1..12; step 0 pools them),
    the choice and the climate contribution to MLflow as one run; return its id."""
    with mlflow.start_run(experiment_id=experiment_id, run_name="demand-forecast") as run:
        mlflow.log_params(
            {
                **_window_params(forecast),
                "methods": ",".join([*FORECASTERS, PER_HORIZON]),
                "segments": len(forecast.forecast[SEGMENT].drop_duplicates()),
            }
        )
        metrics = ("wape", "mase", "pickup_wape", "pickup_mase")
        for horizon, at in forecast.scores.groupby("horizon"):
            mlflow.log_metrics(
                {
                    f"{row.window}_{row.target}_{row.method}_{metric}": float(getattr(row, metric))
                    for row in at.itertuples(index=False)
                    for metric in metrics
                    if np.isfinite(getattr(row, metric))
                },
                step=int(horizon),
            )
        for horizon, at in forecast.climate.groupby("horizon"):
            mlflow.log_metrics(
                {
                    f"{row.window}_{row.target}_climate_wape_change{suffix}": float(value)
                    for row in at.itertuples(index=False)
                    for suffix, value in (
                        ("", row.change),
                        ("_low", row.change_low),
                        ("_high", row.change_high),
                    )
                    if np.isfinite(value)
                },
                step=int(horizon),
            )
        mlflow.set_tags(
            {
                **{
                    f"{target}_method": describe_methods(by_horizon)
                    for target, by_horizon in forecast.methods.items()
                },
                "climate_normals": forecast.climate_verdict,
            }
        )
        mlflow.log_table(forecast.scores, artifact_file="horizon_scores.json")
        mlflow.log_table(forecast.climate, artifact_file="climate_contribution.json")
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
            row.enquiries_method,
            row.bookings_method,
            origin,
            run_id,
            created_at,
        )
        for row in forecast.forecast.itertuples(index=False)
    )
    return replace_table(conn, FORECAST_DDL, FORECAST_TABLE, FORECAST_COLUMNS, rows)
