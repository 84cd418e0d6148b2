"""The forecast's scores, kept in Postgres and printed in `make build`'s summary.

`predictions.demand_forecast_scores` holds every method's WAPE and MASE per window, target and
horizon (0 = all twelve), on totals and on pickup, each row naming its window's wedding months
and its n; `predictions.demand_forecast_climate` holds the boosted forecast's error with and
without the climate normals. `forecast_summary_lines` renders both for a terminal.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import psycopg

from ml.demand.climate import CLIMATE_COLUMNS
from ml.demand.history import month_start
from ml.demand.scoring import PER_HORIZON, SCORE_COLUMNS, ForecastWindows, choose_methods
from ml.tables import replace_table, sql_value

SCORES_TABLE = ("predictions", "demand_forecast_scores")
CLIMATE_TABLE = ("predictions", "demand_forecast_climate")
WINDOW_COLUMNS = ["window_from", "window_to"]
SCORES_DDL = """
create schema if not exists predictions;
create table if not exists predictions.demand_forecast_scores (
    "window"     text             not null check ("window" in ('validation', 'test')),
    target       text             not null,
    method       text             not null,
    horizon      integer          not null check (horizon between 0 and 12),
    n            integer          not null,
    actual       double precision not null,
    pickup       double precision not null,
    wape         double precision,
    mase         double precision,
    pickup_wape  double precision,
    pickup_mase  double precision,
    window_from  date             not null,
    window_to    date             not null,
    chosen       boolean          not null,
    mlflow_run_id text,
    primary key ("window", target, method, horizon)
);
"""
CLIMATE_DDL = """
create schema if not exists predictions;
create table if not exists predictions.demand_forecast_climate (
    "window"            text             not null check ("window" in ('validation', 'test')),
    target              text             not null,
    horizon             integer          not null check (horizon between 0 and 12),
    n                   integer          not null,
    wape_without        double precision,
    wape_with           double precision,
    change              double precision,
    change_low          double precision,
    change_high         double precision,
    pickup_wape_without double precision,
    pickup_wape_with    double precision,
    window_from         date             not null,
    window_to           date             not null,
    mlflow_run_id       text,
    primary key ("window", target, horizon)
);
"""
#: Horizons in the build summary's table, and how the baselines are named there.
BASELINES = ("seasonal_naive", "on_the_books")


def _with_windows(frame: pd.DataFrame, windows: ForecastWindows) -> pd.DataFrame:
    bounds = {
        name: (month_start(start), month_start(end - 1))
        for name, (start, end) in (("validation", windows.validation), ("test", windows.test))
    }
    return frame.assign(
        window_from=frame["window"].map(lambda name: bounds[name][0]),
        window_to=frame["window"].map(lambda name: bounds[name][1]),
    )


def _records(frame: pd.DataFrame, columns: list[str]) -> Iterable[tuple[object, ...]]:
    for row in frame[columns].itertuples(index=False):
        yield tuple(sql_value(value) for value in row)


def replace_forecast_scores(
    conn: psycopg.Connection,
    scores: pd.DataFrame,
    climate: pd.DataFrame,
    windows: ForecastWindows,
    run_id: str,
) -> int:
    """Replace both score tables with this run's; return score rows written. The published
    forecast's rows (`PER_HORIZON`) are the ones marked `chosen`."""
    scores = _with_windows(scores, windows).assign(
        chosen=scores["method"] == PER_HORIZON, mlflow_run_id=run_id
    )
    score_columns = [*SCORE_COLUMNS, *WINDOW_COLUMNS, "chosen", "mlflow_run_id"]
    written = replace_table(
        conn, SCORES_DDL, SCORES_TABLE, score_columns, _records(scores, score_columns)
    )
    climate = _with_windows(climate, windows).assign(mlflow_run_id=run_id)
    climate_columns = [*CLIMATE_COLUMNS, *WINDOW_COLUMNS, "mlflow_run_id"]
    replace_table(
        conn, CLIMATE_DDL, CLIMATE_TABLE, climate_columns, _records(climate, climate_columns)
    )
    return written


def _read(conn: psycopg.Connection, table: tuple[str, str]) -> pd.DataFrame:
    exists = conn.execute("select to_regclass(%s)", (".".join(table),)).fetchone()
    if exists is None or exists[0] is None:
        return pd.DataFrame()
    cursor = conn.execute(f"select * from {'.'.join(table)}")
    names = [column.name for column in cursor.description or []]
    return pd.DataFrame(cursor.fetchall(), columns=names)


#: Pickup errors divided by a near-zero pickup (short horizons) say only "far off".
LARGEST_SHOWN = 99.0


def _figure(value: float | None, width: int = 6) -> str:
    number = float(value) if value is not None else float("nan")
    if pd.isna(number):
        return f"{'-':>{width}}"
    return f"{number:{width}.3f}" if number <= LARGEST_SHOWN else f"{'>99':>{width}}"


def _window_text(scores: pd.DataFrame, window: str) -> str:
    rows = scores[(scores["window"] == window) & (scores["horizon"] == 1)]
    first, last = rows["window_from"].iloc[0], rows["window_to"].iloc[0]
    return f"wedding months {first:%Y-%m}..{last:%Y-%m}, n {int(rows['n'].iloc[0])} per horizon"


def _target_lines(scores: pd.DataFrame, target: str) -> list[str]:
    mine = scores[scores["target"] == target]
    candidates = [str(method) for method in mine["method"].unique() if method != PER_HORIZON]
    # The same rule the forecast chose by, on the same validation scores.
    by_horizon = choose_methods(scores, candidates)[target]
    # The per-horizon forecast's validation score is in-sample (it was chosen there): not ranked.
    validation = mine[
        (mine["window"] == "validation") & (mine["horizon"] == 0) & (mine["method"] != PER_HORIZON)
    ]
    ranked = ", ".join(
        f"{row.method} {row.wape:.3f}" for row in validation.sort_values("wape").itertuples()
    )
    lines = [
        f"Demand forecast, {target}: the method chosen per horizon on validation "
        f"({_window_text(mine, 'validation')}; WAPE over all horizons {ranked}),",
        f"  reported on test ({_window_text(mine, 'test')}); model (the chosen per horizon) / "
        "seasonal naive / on the books; pickup = demand not yet on the books at the origin "
        "('-': none)",
        f"  {'h':>3} {'method':<15} {'booked':>6} | {'WAPE':^20} | {'MASE':^20} | "
        f"{'pickup WAPE':^20} | {'pickup MASE':^20}",
    ]
    test = mine[mine["window"] == "test"].set_index(["method", "horizon"])
    for horizon in [*range(1, 13), 0]:
        if (PER_HORIZON, horizon) not in test.index:
            continue
        model = test.loc[(PER_HORIZON, horizon)]
        booked = 1 - model["pickup"] / model["actual"] if model["actual"] else float("nan")
        cells = [
            " ".join(
                _figure(test.loc[(method, horizon), metric]) for method in (PER_HORIZON, *BASELINES)
            )
            for metric in ("wape", "mase", "pickup_wape", "pickup_mase")
        ]
        label = "all" if horizon == 0 else str(horizon)
        method = by_horizon.get(horizon, "per horizon")
        lines.append(f"  {label:>3} {method:<15} {booked:6.1%} | " + " | ".join(cells))
    return lines


def _climate_lines(climate: pd.DataFrame) -> list[str]:
    test = climate[climate["window"] == "test"].set_index(["target", "horizon"])
    targets = sorted(test.index.get_level_values("target").unique())
    lines = [
        "Climate normals: boosted WAPE with minus without, test window "
        "(95% interval over segments; < 0 = they help)",
        "  " + f"{'h':>3} " + " | ".join(f"{target:^35}" for target in targets),
    ]
    for horizon in [*range(1, 13), 0]:
        cells = []
        for target in targets:
            if (target, horizon) not in test.index:
                cells.append(f"{'-':^35}")
                continue
            row = test.loc[(target, horizon)]
            cells.append(
                f"{row['wape_without']:.3f} -> {row['wape_with']:.3f} "
                f"{row['change']:+.4f} [{row['change_low']:+.4f}, {row['change_high']:+.4f}]"
            )
        label = "all" if horizon == 0 else str(horizon)
        lines.append(f"  {label:>3} " + " | ".join(cells))
    return lines


def forecast_summary_lines(conn: psycopg.Connection) -> list[str]:
    """The forecast per horizon against both baselines, and the climate test, as text lines
    (empty when no forecast has been scored yet)."""
    scores = _read(conn, SCORES_TABLE)
    if scores.empty:
        return []
    lines: list[str] = []
    for target in sorted(scores["target"].unique()):
        lines += _target_lines(scores, str(target))
    climate = _read(conn, CLIMATE_TABLE)
    if not climate.empty:
        lines += _climate_lines(climate)
    return lines
