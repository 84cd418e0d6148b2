"""Rolling-origin backtest: every method forecasts the windows' wedding months from the past.

A wedding month `m` is forecast at horizon `h` (1 .. 12) from origin `m - h + 1`, from what
was on the books at that origin. A method is fitted only on rows whose wedding month was over
before the origin (as it would have been in production), so every point is a forecast that
could really have been made. Which points form
the validation and the test window, and how they are scored, is `ml.demand.scoring`'s business.
"""

from __future__ import annotations

import pandas as pd

from ml.demand.history import SEGMENT, TARGETS
from ml.demand.methods import FORECASTERS
from ml.threads import one_openmp_thread

POINT_COLUMNS = [*SEGMENT, "month", "origin", "horizon"]
#: Methods are refitted every third origin (production refits on every run): the forecasts
#: from the two origins in between use the last fit, and still only what was known then.
#: A third of the fits keeps the backtest inside the build's time budget.
REFIT_EVERY_MONTHS = 3


def training_rows(rows: pd.DataFrame, origin: int) -> pd.DataFrame:
    """Snapshots whose wedding month was over before `origin` (what a forecast then could use)."""
    return rows[(rows["month"] < origin) & rows["enquiries"].notna()]


def rolling_origin_backtest(
    rows: pd.DataFrame, months: tuple[int, int], methods: list[str]
) -> pd.DataFrame:
    """Every method's forecast of every complete wedding month in `[months)`, at every horizon.

    Returns one row per point, method and target: segment, `month, origin, horizon, method,
    target, actual, forecast, on_books` (`actual - on_books` is the pickup still to come).
    """
    with one_openmp_thread():
        return _rolling_origin_backtest(rows, months, methods)


def _rolling_origin_backtest(
    rows: pd.DataFrame, months: tuple[int, int], methods: list[str]
) -> pd.DataFrame:
    start, end = months
    wanted = rows[(rows["month"] >= start) & (rows["month"] < end) & rows["enquiries"].notna()]
    scored: list[pd.DataFrame] = []
    block = (wanted["origin"] - wanted["origin"].min()) // REFIT_EVERY_MONTHS
    for _, test in wanted.groupby(block, sort=True):
        # Fitted at the block's first origin, so no forecast in it sees a later month.
        train = training_rows(rows, int(test["origin"].min()))
        if train.empty:
            continue
        for target in TARGETS:
            for method in methods:
                scored.append(
                    test[POINT_COLUMNS].assign(
                        method=method,
                        target=target,
                        actual=test[target].to_numpy(dtype=float),
                        forecast=FORECASTERS[method](train, test, target),
                        on_books=test[f"{target}_on_books"].to_numpy(dtype=float),
                    )
                )
    if not scored:
        raise ValueError(
            f"no wedding month in [{start}, {end}) is complete and forecastable from an origin "
            "with earlier complete months: the history is too short to backtest"
        )
    return pd.concat(scored, ignore_index=True)
