"""Whether the climate normals help is decided on every backtest error, beyond noise."""

import pandas as pd
import pytest

from ml.demand.backtest import BacktestResult
from ml.demand.publish import DemandForecast


def _forecast(climate_errors: dict[str, float]) -> DemandForecast:
    rows = []
    for target in ("enquiries", "bookings"):
        rows.append({"method": "boosted", "target": target, "wape": 0.20, "mase": 0.40})
        rows.append(
            {
                "method": "boosted_climate",
                "target": target,
                "wape": climate_errors[f"{target}_wape"],
                "mase": climate_errors[f"{target}_mase"],
            }
        )
    backtest = BacktestResult(pd.DataFrame(rows), pd.DataFrame())
    return DemandForecast(pd.DataFrame(), backtest, {}, origin=24_310, backtest_origins=[24_309])


def test_climate_helps_when_every_error_falls_clearly() -> None:
    forecast = _forecast(
        {
            "enquiries_wape": 0.18,
            "enquiries_mase": 0.36,
            "bookings_wape": 0.19,
            "bookings_mase": 0.38,
        }
    )
    assert forecast.climate_verdict == "they help"
    assert forecast.climate_effect()["enquiries_wape"] == pytest.approx(-0.02)


def test_climate_does_not_help_when_one_error_rises() -> None:
    forecast = _forecast(
        {
            "enquiries_wape": 0.21,
            "enquiries_mase": 0.36,
            "bookings_wape": 0.15,
            "bookings_mase": 0.30,
        }
    )
    assert forecast.climate_verdict == "they don't help"


def test_changes_within_one_percent_are_noise() -> None:
    forecast = _forecast(
        {
            "enquiries_wape": 0.1990,
            "enquiries_mase": 0.3980,
            "bookings_wape": 0.1990,
            "bookings_mase": 0.3980,
        }
    )
    assert forecast.climate_verdict == "they don't help"
