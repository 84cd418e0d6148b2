"""The demand forecasters, from the plainest to the fitted one.

Each takes `train` rows (snapshots whose wedding month is over, so the actual is known) and
`test` rows (snapshots to forecast) as built by `ml.demand.history.forecast_rows`, and returns
one forecast per test row for the target (`enquiries` or `bookings`):

- `on_the_books`: what is already on the books (the nowcast every method must beat on pickup);
- `seasonal_naive`: the same wedding month last year, completed for the history's cut-off
  start (the baseline every method must beat);
- `pickup`: what is already on the books, plus last year's total times the share that, in
  the past, was still to come at this horizon for this vendor type (hotel-style pickup);
- `boosted`: Poisson gradient boosting on the same facts (on the books, last year, horizon,
  calendar month, segment), optionally with the region's climate normals for the month.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

from ml.demand.history import SEGMENT

CLIMATE_FEATURES = ("rain_days", "mean_temp_c")
KNOWN_AT_ORIGIN = (
    "horizon",
    "calendar_month",
    "enquiries_on_books",
    "bookings_on_books",
    "enquiries_last_year",
    "bookings_last_year",
)
#: Below this share already on the books, dividing by it would explode a forecast.
MIN_BOOKED_SHARE = 0.05
RANDOM_STATE = 7


def on_the_books(train: pd.DataFrame, test: pd.DataFrame, target: str) -> np.ndarray:
    """Only what is already booked or enquired: no more demand arrives after the origin."""
    del train  # the baseline learns nothing
    return test[f"{target}_on_books"].to_numpy(dtype=float)


def seasonal_naive(train: pd.DataFrame, test: pd.DataFrame, target: str) -> np.ndarray:
    """Last year's count for the month; what is on the books where there is no last year."""
    del train  # the baseline learns nothing
    on_books = test[f"{target}_on_books"].to_numpy(dtype=float)
    last_year = test[f"{target}_last_year"].to_numpy(dtype=float)
    return np.where(np.isnan(last_year), on_books, last_year)


def booked_shares(train: pd.DataFrame, target: str) -> pd.DataFrame:
    """Per vendor type and horizon: the share of the final count already on the books."""
    totals = train.groupby(["vendor_type", "horizon"], as_index=False)[
        [f"{target}_on_books", target]
    ].sum()
    share = totals[f"{target}_on_books"] / totals[target].where(totals[target] > 0)
    return totals.assign(booked_share=share.clip(0.0, 1.0))[
        ["vendor_type", "horizon", "booked_share"]
    ]


def pickup(train: pd.DataFrame, test: pd.DataFrame, target: str) -> np.ndarray:
    """On the books + (1 - share usually on the books by now) x last year's count."""
    shares = (
        test[["vendor_type", "horizon"]]
        .merge(booked_shares(train, target), on=["vendor_type", "horizon"], how="left")[
            "booked_share"
        ]
        .to_numpy(dtype=float)
    )
    shares = np.nan_to_num(shares, nan=0.0)
    on_books = test[f"{target}_on_books"].to_numpy(dtype=float)
    last_year = test[f"{target}_last_year"].to_numpy(dtype=float)
    scaled_up = on_books / np.maximum(shares, MIN_BOOKED_SHARE)
    with_last_year = on_books + (1.0 - shares) * last_year
    return np.where(np.isnan(last_year), scaled_up, with_last_year)


def _boosting_pipeline(numeric: list[str]) -> Pipeline:
    preprocess = ColumnTransformer(
        [
            (
                "segment",
                OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan),
                SEGMENT,
            ),
            ("numbers", "passthrough", numeric),
        ]
    )
    model = HistGradientBoostingRegressor(
        loss="poisson",
        learning_rate=0.05,
        max_iter=200,
        max_leaf_nodes=15,
        min_samples_leaf=40,
        categorical_features=[True] * len(SEGMENT) + [False] * len(numeric),
        random_state=RANDOM_STATE,
    )
    return Pipeline([("preprocess", preprocess), ("boosting", model)])


def boosted(
    train: pd.DataFrame, test: pd.DataFrame, target: str, with_climate: bool = False
) -> np.ndarray:
    """Poisson gradient boosting on what is known at the origin (and climate, if asked)."""
    offered = list(KNOWN_AT_ORIGIN) + (list(CLIMATE_FEATURES) if with_climate else [])
    # Early origins have no last year at all yet: a feature with no value cannot be binned.
    train = _with_calendar(train)
    numeric = [name for name in offered if train[name].notna().any()]
    columns = [*SEGMENT, *numeric]
    model = _boosting_pipeline(numeric)
    model.fit(train[columns], train[target].to_numpy(dtype=float))
    forecast = model.predict(_with_calendar(test)[columns])
    # Weddings already booked will happen: never forecast fewer than are on the books.
    return np.maximum(forecast, test[f"{target}_on_books"].to_numpy(dtype=float))


def boosted_with_climate(train: pd.DataFrame, test: pd.DataFrame, target: str) -> np.ndarray:
    """`boosted`, offered the region's rain days and mean temperature for the month."""
    return boosted(train, test, target, with_climate=True)


def _with_calendar(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.assign(calendar_month=rows["month"] % 12 + 1)


def with_climate(rows: pd.DataFrame, normals: pd.DataFrame) -> pd.DataFrame:
    """`rows` with the climate normals (`region, month 1-12, rain_days, mean_temp_c`) joined."""
    by_month = normals.rename(columns={"month": "calendar_month"})[
        ["region", "calendar_month", *CLIMATE_FEATURES]
    ]
    joined = _with_calendar(rows).merge(by_month, on=["region", "calendar_month"], how="left")
    return joined.drop(columns="calendar_month")


Forecaster = Callable[[pd.DataFrame, pd.DataFrame, str], np.ndarray]
#: From the plainest to the fitted one: a tie on validation goes to the plainer method.
FORECASTERS: dict[str, Forecaster] = {
    "on_the_books": on_the_books,
    "seasonal_naive": seasonal_naive,
    "pickup": pickup,
    "boosted": boosted,
    "boosted_climate": boosted_with_climate,
}
