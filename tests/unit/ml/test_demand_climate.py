"""The climate normals' contribution: paired per horizon, with an interval over segments."""

import numpy as np
import pandas as pd
import pytest

from ml.demand.climate import climate_contribution, climate_verdict
from ml.demand.scoring import ForecastWindows

NEWEST = 2026 * 12 + 10
REGIONS = ["london", "wales", "scotland", "north_west", "south_east", "yorkshire"]


def _points(climate_error: float, spread: float) -> pd.DataFrame:
    """Both boosted forecasts of 2 test months x 12 horizons x 6 regions; the climate one's
    error differs by `climate_error` per unit of demand, `spread` more in half the regions and
    `spread` less in the other half."""
    rng = np.random.default_rng(4)
    frames = []
    for index, region in enumerate(REGIONS):
        regional = climate_error + spread * (1 if index % 2 else -1)
        for month in (NEWEST - 2, NEWEST - 1):
            for horizon in range(1, 13):
                actual = 40.0
                without = 4.0 + rng.uniform(0, 2)
                with_climate = without + actual * regional
                for method, error in (("boosted", without), ("boosted_climate", with_climate)):
                    frames.append(
                        {
                            "vendor_type": "venue",
                            "region": region,
                            "month": month,
                            "origin": month - horizon + 1,
                            "horizon": horizon,
                            "method": method,
                            "target": "bookings",
                            "actual": actual,
                            "forecast": actual - error,
                            "on_books": 30.0,
                        }
                    )
    return pd.DataFrame(frames)


WINDOWS = ForecastWindows.ending_before(NEWEST, validation_months=2, test_months=2)


def test_a_clear_gain_is_measured_per_horizon_and_called_help() -> None:
    contribution = climate_contribution(_points(-0.05, 0.005), WINDOWS)
    test = contribution[contribution["window"] == "test"].set_index("horizon")
    assert list(test.index) == list(range(0, 13))
    assert test.loc[0, "n"] == 2 * 12 * len(REGIONS)
    assert test.loc[0, "change"] == pytest.approx(-0.05, abs=0.005)
    assert (test["change_high"] < 0).all()
    # The pickup is a quarter of the demand, so its WAPE moves four times as far.
    pooled = test.loc[0]
    assert pooled["pickup_wape_with"] - pooled["pickup_wape_without"] == pytest.approx(
        4 * pooled["change"]
    )
    assert climate_verdict(contribution) == "they help"


def test_noise_around_zero_is_no_measurable_effect() -> None:
    contribution = climate_contribution(_points(0.0, 0.02), WINDOWS)
    pooled = contribution[(contribution["window"] == "test") & (contribution["horizon"] == 0)]
    assert (pooled["change_low"] < 0).all() and (pooled["change_high"] > 0).all()
    assert climate_verdict(contribution) == "no measurable effect"


def test_a_clear_loss_is_called_hurt() -> None:
    assert climate_verdict(climate_contribution(_points(0.05, 0.005), WINDOWS)) == "they hurt"
