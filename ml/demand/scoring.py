"""Judging the forecast fairly: windows, baselines' scales, and scores per horizon.

- Windows are ranges of wedding months: the method is chosen on the validation window and
  reported on the later test window, so no test month's outcome ever touches the choice (every
  forecast, in either window, sees only months that were over before its own origin).
- WAPE = Σ|actual - forecast| / Σ actual, pooled over segments (the share of demand missed).
- Pickup = actual - what was on the books at the origin: the demand a forecast really has to
  foresee. Pickup WAPE divides the same errors by the pickup, so copying the books scores 1.0
  and a nowcast cannot hide behind bookings already made.
- MASE = mean |error| / the mean in-sample error of seasonal naive before the window starts:
  for totals, last year's month against this year's (both completed for the history's cut-off
  start, `ml.demand.completeness`); for pickup, last year's pickup at the same horizon. Below 1
  beats last year.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ml.demand.completeness import completed, lead_profile, visible_share
from ml.demand.history import SEGMENT, TARGETS, final_counts

WINDOWS = ("validation", "test")
SCORE_COLUMNS = ["window", "target", "method", "horizon", "n", "actual", "pickup"]
SCORE_COLUMNS += ["wape", "mase", "pickup_wape", "pickup_mase"]


@dataclass(frozen=True)
class ForecastWindows:
    """Wedding months `[start, end)` of the validation window and of the later test window."""

    validation: tuple[int, int]
    test: tuple[int, int]

    @classmethod
    def ending_before(
        cls, newest: int, validation_months: int, test_months: int
    ) -> ForecastWindows:
        """The last `test_months` complete months for test, the `validation_months` before them
        for validation (`newest` is the first incomplete month)."""
        if validation_months < 1 or test_months < 1:
            raise ValueError(
                f"windows need at least one month each, got validation_months={validation_months}"
                f" and test_months={test_months}"
            )
        test_start = newest - test_months
        return cls((test_start - validation_months, test_start), (test_start, newest))

    @property
    def months(self) -> tuple[int, int]:
        """Every wedding month either window scores."""
        return self.validation[0], self.test[1]

    def window_of(self, months: pd.Series) -> pd.Series:
        """'validation', 'test' or missing for each wedding month."""
        labels = pd.Series(None, index=months.index, dtype=object)
        for name in WINDOWS:
            start, end = getattr(self, name)
            labels[(months >= start) & (months < end)] = name
        return labels


def total_scale(enquiries: pd.DataFrame, target: str, first: int, before: int) -> float:
    """Mean |y(m) - y(m-12)| over segments and months `m < before`, both years completed for
    the history's start; NaN where no month has a usable year before it."""
    finals = final_counts(enquiries[enquiries["wedding_m"] < before])
    profile = lead_profile(enquiries, first, before)
    finals[target] = completed(finals[target].to_numpy(), visible_share(profile, finals, first))
    series = finals.set_index([*SEGMENT, "month"])[target]
    year_ago = finals.assign(month=finals["month"] + 12).set_index([*SEGMENT, "month"])[target]
    change = (series - year_ago.reindex(series.index)).abs().dropna()
    return float(change.mean()) if len(change) else float("nan")


def pickup_scales(rows: pd.DataFrame, target: str, before: int) -> pd.Series:
    """Per horizon: mean |pickup(m) - pickup(m-12)| at that horizon over months `m < before`."""
    known = rows[(rows["month"] < before) & rows[target].notna()]
    pickup = known.assign(pickup=known[target] - known[f"{target}_on_books"]).set_index(
        [*SEGMENT, "horizon", "month"]
    )["pickup"]
    year_ago = pickup.rename("year_ago").reset_index()
    year_ago["month"] += 12
    both = pd.concat(
        [pickup, year_ago.set_index([*SEGMENT, "horizon", "month"])["year_ago"]],
        axis=1,
        join="inner",
    )
    change = (both["pickup"] - both["year_ago"]).abs()
    # Nothing left to pick up at a horizon last year either: no scale to measure against.
    return change.groupby(level="horizon").mean().replace(0.0, float("nan"))


def _pooled(points: pd.DataFrame) -> pd.Series:
    error = (points["actual"] - points["forecast"]).abs()
    actual = float(points["actual"].sum())
    pickup = float((points["actual"] - points["on_books"]).sum())
    return pd.Series(
        {
            "n": float(len(points)),
            "actual": actual,
            "pickup": pickup,
            "abs_error": float(error.sum()),
            "wape": float(error.sum()) / actual if actual > 0 else float("nan"),
            "pickup_wape": float(error.sum()) / pickup if pickup > 0 else float("nan"),
        }
    )


def horizon_scores(
    points: pd.DataFrame,
    windows: ForecastWindows,
    rows: pd.DataFrame,
    enquiries: pd.DataFrame,
    first: int,
) -> pd.DataFrame:
    """WAPE and MASE, on totals and on pickup, per window, target, method and horizon; horizon
    0 pools all twelve. MASE's scales come from months before each window starts."""
    labelled = points.assign(window=windows.window_of(points["month"])).dropna(subset="window")
    frames = []
    for (window, target), group in labelled.groupby(["window", "target"], sort=False):
        before = getattr(windows, str(window))[0]
        scale = total_scale(enquiries, str(target), first, before)
        scales = pickup_scales(rows, str(target), before)
        per_horizon = (
            group.groupby(["method", "horizon"], sort=False)
            .apply(_pooled, include_groups=False)
            .reset_index()
        )
        per_horizon["pickup_scale"] = per_horizon["horizon"].map(scales)
        everything = group.groupby("method", sort=False).apply(_pooled, include_groups=False)
        # Pooled over horizons, each error is scaled by its own horizon's pickup scale; horizons
        # with nothing to pick up (no scale) are left out of the pooled pickup MASE.
        scaled = per_horizon[per_horizon["pickup_scale"].notna()]
        scaled = scaled.assign(scaled=scaled["abs_error"] / scaled["pickup_scale"])
        by_method = scaled.groupby("method")[["scaled", "n"]].sum()
        everything["pickup_mase"] = by_method["scaled"] / by_method["n"]
        per_horizon["pickup_mase"] = (
            per_horizon["abs_error"] / per_horizon["n"] / per_horizon["pickup_scale"]
        )
        scored = pd.concat([per_horizon, everything.reset_index().assign(horizon=0)])
        scored["mase"] = scored["abs_error"] / scored["n"] / scale
        frames.append(scored.assign(window=window, target=target))
    scores = pd.concat(frames, ignore_index=True)
    scores = scores.astype({"n": "int64", "horizon": "int64"})
    return scores[SCORE_COLUMNS].sort_values(["window", "target", "method", "horizon"])


#: The published forecast: at each horizon, the method that won that horizon on validation.
PER_HORIZON = "chosen_per_horizon"


def choose_methods(scores: pd.DataFrame, candidates: list[str]) -> dict[str, dict[int, str]]:
    """Per target and horizon 1..12: the candidate with the lowest validation WAPE at that
    horizon (ties keep the earlier, plainer one). Test scores are never read.

    One method for all horizons loses where the horizons differ: at horizon 1 nearly every
    wedding is on the books and copying them is exact, while at horizon 12 most demand is
    still to come (issue 12).
    """
    validation = scores[(scores["window"] == "validation") & scores["method"].isin(candidates)]
    order = {method: rank for rank, method in enumerate(candidates)}
    chosen: dict[str, dict[int, str]] = {}
    for target in TARGETS:
        for_target = validation[
            (validation["target"] == target) & (validation["horizon"] > 0)
        ].assign(rank=lambda frame: frame["method"].map(order))
        if for_target.empty:
            raise ValueError(f"no validation score for {target}: the validation window is empty")
        best = for_target.sort_values(["horizon", "wape", "rank"], na_position="last")
        chosen[target] = {
            int(horizon): str(method)
            for horizon, method in best.groupby("horizon")["method"].first().items()
        }
    return chosen


def per_horizon_points(points: pd.DataFrame, methods: dict[str, dict[int, str]]) -> pd.DataFrame:
    """The backtest's points of the method chosen at each target and horizon, named
    `PER_HORIZON`: the published forecast as it would have been, scored like any method."""
    chosen = pd.DataFrame(
        [
            {"target": target, "horizon": horizon, "method": method}
            for target, by_horizon in methods.items()
            for horizon, method in by_horizon.items()
        ]
    )
    picked = points.merge(chosen, on=["target", "horizon", "method"], how="inner")
    return picked.assign(method=PER_HORIZON)[points.columns]
