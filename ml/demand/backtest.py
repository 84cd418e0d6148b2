"""Rolling-origin backtest: every method forecasts from several past origins, judged on truth.

At each backtest origin a method sees only rows whose wedding month was over before that
origin (as it would have in production), then forecasts that origin's next 12 months; only
months that are over by now are scored. Scores pool all origins:

- WAPE = Σ|actual - forecast| / Σ actual (share of demand mis-forecast);
- MASE = mean |actual - forecast| / the in-sample seasonal-naive error before the origin
  (mean |y(m) - y(m-12)| over the months the method could see). Below 1 beats last year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.demand.history import SEGMENT, TARGETS, final_counts
from ml.demand.methods import FORECASTERS
from ml.threads import one_openmp_thread


@dataclass(frozen=True)
class BacktestResult:
    """Per method and target: WAPE, MASE and points scored; and every scored forecast."""

    scores: pd.DataFrame
    forecasts: pd.DataFrame

    def score(self, method: str, target: str, metric: str) -> float:
        """One figure, e.g. `score("pickup", "bookings", "wape")`."""
        row = self.scores[(self.scores["method"] == method) & (self.scores["target"] == target)]
        return float(row[metric].iloc[0])

    def best_method(self, target: str) -> str:
        """The method with the lowest WAPE for `target` (ties keep the plainer method)."""
        for_target = self.scores[self.scores["target"] == target]
        return str(for_target.sort_values("wape", kind="stable")["method"].iloc[0])


def wape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Weighted absolute percentage error (NaN when there was no demand at all)."""
    total = float(np.abs(actual).sum())
    return float(np.abs(actual - forecast).sum() / total) if total > 0 else float("nan")


def seasonal_naive_scale(finals: pd.DataFrame, target: str, first: int, before: int) -> float:
    """Mean |y(m) - y(m-12)| over months in [first + 12, before): MASE's denominator."""
    series = finals.set_index([*SEGMENT, "month"])[target]
    lagged = finals.assign(month=finals["month"] + 12).set_index([*SEGMENT, "month"])[target]
    both = pd.concat([series.rename("now"), lagged.rename("year_ago")], axis=1, join="inner")
    months = both.index.get_level_values("month")
    window = both[(months >= first + 12) & (months < before)]
    return float((window["now"] - window["year_ago"]).abs().mean()) if len(window) else float("nan")


def training_rows(rows: pd.DataFrame, origin: int) -> pd.DataFrame:
    """Snapshots whose wedding month was over before `origin` (what a forecast then could use)."""
    return rows[(rows["month"] < origin) & rows["enquiries"].notna()]


def rolling_origin_backtest(
    rows: pd.DataFrame,
    enquiry_months: pd.DataFrame,
    origins: list[int],
    methods: list[str],
) -> BacktestResult:
    """Forecast from each of `origins` with each method; score the months that are over."""
    with one_openmp_thread():
        return _rolling_origin_backtest(rows, enquiry_months, origins, methods)


def _rolling_origin_backtest(
    rows: pd.DataFrame, enquiry_months: pd.DataFrame, origins: list[int], methods: list[str]
) -> BacktestResult:
    finals = final_counts(enquiry_months)
    first = int(enquiry_months["created_m"].min())
    scored: list[pd.DataFrame] = []
    for origin in origins:
        train = training_rows(rows, origin)
        test = rows[(rows["origin"] == origin) & rows["enquiries"].notna()]
        if train.empty or test.empty:
            continue
        for target in TARGETS:
            scale = seasonal_naive_scale(finals, target, first, origin)
            for method in methods:
                forecast = FORECASTERS[method](train, test, target)
                scored.append(
                    test[[*SEGMENT, "month", "origin", "horizon"]].assign(
                        method=method,
                        target=target,
                        actual=test[target].to_numpy(dtype=float),
                        forecast=forecast,
                        scale=scale,
                    )
                )
    if not scored:
        raise ValueError(
            f"no backtest origin among {origins} has both earlier complete months and later "
            "complete months: the history is too short to backtest"
        )
    forecasts = pd.concat(scored, ignore_index=True)
    error = (forecasts["actual"] - forecasts["forecast"]).abs()
    forecasts = forecasts.assign(abs_error=error, scaled_error=error / forecasts["scale"])
    scores = (
        forecasts.groupby(["method", "target"], sort=False)
        .apply(
            lambda group: pd.Series(
                {
                    "wape": wape(group["actual"].to_numpy(), group["forecast"].to_numpy()),
                    "mase": float(group["scaled_error"].mean()),
                    "points": float(len(group)),
                }
            ),
            include_groups=False,
        )
        .reset_index()
    )
    return BacktestResult(scores, forecasts)
