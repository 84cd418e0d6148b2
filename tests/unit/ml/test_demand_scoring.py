"""Judging the forecast: windows without leakage, WAPE and MASE on totals and on pickup."""

import numpy as np
import pandas as pd
import pytest

from ml.demand import backtest
from ml.demand.backtest import rolling_origin_backtest
from ml.demand.history import enquiry_months, forecast_rows, history_span
from ml.demand.scoring import (
    PER_HORIZON,
    ForecastWindows,
    choose_methods,
    horizon_scores,
    per_horizon_points,
    pickup_scales,
    total_scale,
)
from tests.unit.ml.synthetic_demand import synthetic_demand_history

JUNE_2026 = 2026 * 12 + 5


def test_windows_are_the_last_complete_months_validation_first() -> None:
    windows = ForecastWindows.ending_before(JUNE_2026, validation_months=6, test_months=4)
    assert windows.test == (JUNE_2026 - 4, JUNE_2026)
    assert windows.validation == (JUNE_2026 - 10, JUNE_2026 - 4)
    months = pd.Series([JUNE_2026 - 11, JUNE_2026 - 10, JUNE_2026 - 5, JUNE_2026 - 4, JUNE_2026])
    labels = windows.window_of(months).fillna("outside")
    assert list(labels) == ["outside", "validation", "validation", "test", "outside"]
    with pytest.raises(ValueError, match="test_months=0"):
        ForecastWindows.ending_before(JUNE_2026, validation_months=6, test_months=0)


def _scores(
    validation: dict[str, dict[int, float]], test: dict[str, dict[int, float]]
) -> pd.DataFrame:
    """WAPE per method and horizon, for both targets."""
    return pd.DataFrame(
        [
            {"window": window, "target": target, "method": method, "horizon": h, "wape": wape}
            for window, wapes in (("validation", validation), ("test", test))
            for method, by_horizon in wapes.items()
            for h, wape in by_horizon.items()
            for target in ("enquiries", "bookings")
        ]
    )


def test_the_method_is_chosen_per_horizon_on_validation_whatever_test_says() -> None:
    # Copying the books is exact at horizon 1 and far off at 12; boosting the other way round.
    validation = {
        "on_the_books": {0: 0.30, 1: 0.00, 12: 0.60},
        "pickup": {0: 0.25, 1: 0.02, 12: 0.45},
        "boosted": {0: 0.20, 1: 0.03, 12: 0.40},
    }
    test = {"on_the_books": {1: 0.5, 12: 0.1}, "boosted": {1: 0.0, 12: 0.9}}
    chosen = choose_methods(_scores(validation, test), list(validation))
    assert chosen["bookings"] == {1: "on_the_books", 12: "boosted"}
    assert chosen["enquiries"] == chosen["bookings"]
    # A tie goes to the plainer (earlier) candidate.
    tied = {"seasonal_naive": {1: 0.2}, "pickup": {1: 0.2}}
    assert choose_methods(_scores(tied, {}), list(tied))["bookings"] == {1: "seasonal_naive"}


def test_the_published_points_are_each_horizons_chosen_method() -> None:
    points = pd.DataFrame(
        {
            "target": "bookings",
            "horizon": [1, 1, 12, 12],
            "method": ["on_the_books", "boosted", "on_the_books", "boosted"],
            "forecast": [1.0, 2.0, 3.0, 4.0],
        }
    )
    methods = {"bookings": {1: "on_the_books", 12: "boosted"}}
    published = per_horizon_points(points, methods)
    assert list(published["method"]) == [PER_HORIZON, PER_HORIZON]
    assert list(published["forecast"]) == [1.0, 4.0]


def test_no_forecast_sees_a_month_that_was_not_over_at_its_origin(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    history = enquiry_months(synthetic_demand_history(seed=3, months=30))
    first, newest = history_span(history)
    rows = forecast_rows(history, list(range(first + 1, newest + 1)))
    seen: list[tuple[int, int]] = []

    def spy(train: pd.DataFrame, test: pd.DataFrame, target: str) -> np.ndarray:
        seen.append((int(train["month"].max()), int(test["origin"].min())))
        return test[f"{target}_on_books"].to_numpy(dtype=float)

    monkeypatch.setitem(backtest.FORECASTERS, "spy", spy)
    windows = ForecastWindows.ending_before(newest, validation_months=3, test_months=3)
    points = rolling_origin_backtest(rows, windows.months, ["spy"])
    assert seen and all(last_trained < origin for last_trained, origin in seen)
    assert set(points["horizon"]) == set(range(1, 13))
    assert points["month"].between(*windows.months, inclusive="left").all()
    # Every window month is forecast at every horizon, from origin month - horizon + 1.
    assert (points["origin"] == points["month"] - points["horizon"] + 1).all()
    assert len(points) == 6 * 12 * 9 * 2


def _history(counts_by_month: dict[int, int]) -> pd.DataFrame:
    """One segment; each enquiry made in its wedding month (so nothing is cut off)."""
    months = [month for month, count in counts_by_month.items() for _ in range(count)]
    return pd.DataFrame(
        {
            "vendor_type": "venue",
            "region": "wales",
            "wedding_m": months,
            "created_m": months,
            "booked_m": pd.array([pd.NA] * len(months), dtype="Int64"),
        }
    )


def test_total_scale_is_last_years_in_sample_error() -> None:
    start = JUNE_2026 - 24
    counts = {start + i: 10 for i in range(12)} | {start + 12 + i: 10 + i for i in range(12)}
    history = _history(counts)
    # Months 12..23 differ from a year earlier by 0..11: mean 5.5; months from 24 on unseen.
    assert total_scale(history, "enquiries", start, JUNE_2026 + 3) == pytest.approx(5.5)
    assert total_scale(history, "enquiries", start, start + 18) == pytest.approx(2.5)
    assert np.isnan(total_scale(history, "enquiries", start, start + 12))


def _points(method: str, actual: list[float], forecast: list[float], on_books: list[float]):
    count = len(actual)
    return pd.DataFrame(
        {
            "vendor_type": "venue",
            "region": "wales",
            "month": [JUNE_2026 - 1] * count,
            "origin": [JUNE_2026 - 1 - h for h in range(count)],
            "horizon": [h + 1 for h in range(count)],
            "method": method,
            "target": "enquiries",
            "actual": actual,
            "forecast": forecast,
            "on_books": on_books,
        }
    )


def test_mase_and_pickup_scores_on_hand_made_points() -> None:
    start = JUNE_2026 - 24
    history = _history({start + i: 10 for i in range(12)} | {start + 12 + i: 14 for i in range(12)})
    rows = pd.DataFrame(
        {
            "vendor_type": "venue",
            "region": "wales",
            "horizon": [1, 1, 2, 2],
            "month": [JUNE_2026 - 14, JUNE_2026 - 2, JUNE_2026 - 14, JUNE_2026 - 2],
            "enquiries": [10.0, 14.0, 10.0, 14.0],
            "enquiries_on_books": [9.0, 12.0, 5.0, 5.0],
        }
    )
    # Pickup a year apart: horizon 1 picked up 1 then 2 (scale 1), horizon 2 5 then 9 (scale 4).
    assert list(pickup_scales(rows, "enquiries", JUNE_2026 - 1)) == [1.0, 4.0]
    points = pd.concat(
        [
            _points("model", [20, 20], [19, 16], [18, 10]),
            _points("on_the_books", [20, 20], [18, 10], [18, 10]),
        ]
    )
    windows = ForecastWindows.ending_before(JUNE_2026, validation_months=1, test_months=1)
    scores = horizon_scores(points, windows, rows, history, start).set_index(["method", "horizon"])
    model = scores.loc[("model", 2)]
    assert model["n"] == 1 and model["pickup"] == 10
    assert model["wape"] == pytest.approx(4 / 20)
    assert model["pickup_wape"] == pytest.approx(4 / 10)
    assert model["mase"] == pytest.approx(4 / 4)  # in-sample: every month up 4 on last year
    assert model["pickup_mase"] == pytest.approx(4 / 4)
    pooled = scores.loc[("model", 0)]
    assert pooled["wape"] == pytest.approx(5 / 40)
    assert pooled["pickup_wape"] == pytest.approx(5 / 12)
    assert pooled["pickup_mase"] == pytest.approx((1 / 1 + 4 / 4) / 2)
    # Copying the books misses exactly the pickup.
    assert scores.loc[("on_the_books", 0), "pickup_wape"] == pytest.approx(1.0)
