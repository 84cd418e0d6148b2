"""The forecasters on hand-made rows: the two baselines, pickup, and the climate join."""

import numpy as np
import pandas as pd
import pytest

from ml.demand.methods import booked_shares, on_the_books, pickup, seasonal_naive, with_climate
from tests.unit.ml.synthetic_demand import synthetic_climate_normals


def _rows(on_books: list[float], last_year: list[float], actual: list[float]) -> pd.DataFrame:
    count = len(on_books)
    return pd.DataFrame(
        {
            "vendor_type": ["venue"] * count,
            "region": ["wales"] * count,
            "month": [24_300 + i for i in range(count)],
            "horizon": [3] * count,
            "bookings_on_books": on_books,
            "bookings_last_year": last_year,
            "bookings": actual,
        }
    )


def test_seasonal_naive_is_last_year_or_the_books_without_one() -> None:
    test = _rows([4, 5], [10, np.nan], [np.nan, np.nan])
    assert list(seasonal_naive(test, test, "bookings")) == [10.0, 5.0]


def test_pickup_adds_the_usual_remaining_share_of_last_year() -> None:
    # In the past, 40% of a month's bookings were on the books three months ahead.
    train = _rows([4, 4], [0, 0], [10, 10])
    assert booked_shares(train, "bookings")["booked_share"].iloc[0] == pytest.approx(0.4)
    test = _rows([6, 2], [10, np.nan], [np.nan, np.nan])
    assert pickup(train, test, "bookings") == pytest.approx([6 + 0.6 * 10, 2 / 0.4])


def test_on_the_books_forecasts_no_more_demand_than_is_booked() -> None:
    test = _rows([4, 0], [10, np.nan], [np.nan, np.nan])
    assert list(on_the_books(test, test, "bookings")) == [4.0, 0.0]


def test_climate_normals_join_on_region_and_calendar_month() -> None:
    rows = _rows([1], [1], [1]).assign(region="london", month=2025 * 12 + 7)
    joined = with_climate(rows, synthetic_climate_normals())
    normals = synthetic_climate_normals()
    august = normals[(normals["region"] == "london") & (normals["month"] == 8)]
    assert joined["rain_days"].iloc[0] == august["rain_days"].iloc[0]
