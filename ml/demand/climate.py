"""What the climate normals add: the boosted forecast with and without them, per horizon.

Both forecasts are made from the same origins on the same points, so their difference is
paired. The change in WAPE (with minus without; below 0 = climate helps) comes with a 95%
interval from resampling segments (vendor type x region) with replacement: segments are the
units whose weather differs, and errors within one are correlated across months and horizons.
Climate "helps" only when the interval of the pooled change lies wholly below zero for every
target; until the simulator's weather moves demand, expect intervals around zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.demand.history import SEGMENT
from ml.demand.scoring import ForecastWindows

WITHOUT, WITH = "boosted", "boosted_climate"
BOOTSTRAP_DRAWS = 1_000
RANDOM_STATE = 11
CLIMATE_COLUMNS = ["window", "target", "horizon", "n", "wape_without", "wape_with"]
CLIMATE_COLUMNS += ["change", "change_low", "change_high", "pickup_wape_without"]
CLIMATE_COLUMNS += ["pickup_wape_with"]


def _paired(points: pd.DataFrame) -> pd.DataFrame:
    """One row per point with both forecasts' absolute errors side by side."""
    keys = [*SEGMENT, "month", "origin", "horizon", "target", "window"]
    both = points[points["method"].isin([WITHOUT, WITH])]
    both = both.assign(abs_error=(both["actual"] - both["forecast"]).abs())
    wide = both.pivot_table(index=keys, columns="method", values="abs_error").reset_index()
    values = both.drop_duplicates(keys).set_index(keys)[["actual", "on_books"]]
    return wide.join(values, on=keys).dropna(subset=[WITHOUT, WITH])


def _change_interval(paired: pd.DataFrame, rng: np.random.Generator) -> tuple[float, float]:
    """95% interval of Σ(with - without) / Σ actual, resampling whole segments."""
    by_segment = paired.groupby(SEGMENT).agg(change=("change", "sum"), actual=("actual", "sum"))
    segments = len(by_segment)
    draws = rng.multinomial(segments, np.full(segments, 1.0 / segments), size=BOOTSTRAP_DRAWS)
    change = draws @ by_segment["change"].to_numpy() / (draws @ by_segment["actual"].to_numpy())
    low, high = np.nanpercentile(change, [2.5, 97.5])
    return float(low), float(high)


def _share(part: float, whole: float) -> float:
    return float(part / whole) if whole > 0 else float("nan")


def climate_contribution(points: pd.DataFrame, windows: ForecastWindows) -> pd.DataFrame:
    """Per window, target and horizon (0 = all twelve): both WAPEs, on totals and on pickup,
    and the change with its interval."""
    labelled = points.assign(window=windows.window_of(points["month"]))
    paired = _paired(labelled.dropna(subset="window"))
    paired["change"] = paired[WITH] - paired[WITHOUT]
    rng = np.random.default_rng(RANDOM_STATE)
    rows = []
    for (window, target), group in paired.groupby(["window", "target"], sort=False):
        for horizon in range(0, int(group["horizon"].max()) + 1):
            at = group if horizon == 0 else group[group["horizon"] == horizon]
            if at.empty:
                continue
            actual = at["actual"].sum()
            pickup = (at["actual"] - at["on_books"]).sum()
            low, high = _change_interval(at, rng)
            rows.append(
                {
                    "window": window,
                    "target": target,
                    "horizon": horizon,
                    "n": len(at),
                    "wape_without": _share(at[WITHOUT].sum(), actual),
                    "wape_with": _share(at[WITH].sum(), actual),
                    "change": _share(at["change"].sum(), actual),
                    "change_low": low,
                    "change_high": high,
                    "pickup_wape_without": _share(at[WITHOUT].sum(), pickup),
                    "pickup_wape_with": _share(at[WITH].sum(), pickup),
                }
            )
    return pd.DataFrame(rows, columns=CLIMATE_COLUMNS)


def climate_verdict(contribution: pd.DataFrame) -> str:
    """'they help' when, on the test window over all horizons, every target's interval of the
    WAPE change lies below zero; 'they hurt' when one lies above; otherwise 'no measurable
    effect'."""
    pooled = contribution[(contribution["window"] == "test") & (contribution["horizon"] == 0)]
    if pooled.empty:
        return "not measured"
    if (pooled["change_high"] < 0).all():
        return "they help"
    if (pooled["change_low"] > 0).any():
        return "they hurt"
    return "no measurable effect"
