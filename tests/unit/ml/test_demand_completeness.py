"""Last year's count completed for the history's cut-off start: seasonal naive gets a full year."""

from functools import cache

import numpy as np
import pandas as pd
import pytest

from ml.demand.completeness import MIN_VISIBLE_SHARE, completed, lead_profile, visible_share
from ml.demand.history import enquiry_months, final_counts, forecast_rows, history_span, month_index
from ml.demand.methods import seasonal_naive
from tests.unit.ml.synthetic_demand import synthetic_demand_history

HISTORY_START = "2024-01-01"


def _month(text: str) -> int:
    return int(month_index(pd.Series([text])).iloc[0])


@cache
def _full_and_cut() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The same market seen from 2022 (a full first year by 2024) and from 2024 only."""
    full = enquiry_months(synthetic_demand_history(seed=5, start="2022-01-01", months=59))
    cut = full[full["created_m"] >= _month(HISTORY_START)].reset_index(drop=True)
    return full, cut


def _by_vendor_type(finals: pd.DataFrame, months: range) -> pd.Series:
    chosen = finals[finals["month"].isin(list(months))]
    return chosen.groupby("vendor_type")["enquiries"].sum()


def test_the_lead_profile_is_read_from_the_cut_history_alone() -> None:
    _, cut = _full_and_cut()
    first, newest = history_span(cut)
    profile = lead_profile(cut, first, newest).set_index(["vendor_type", "lead"])
    # Venues are enquired about ~13 months ahead (lognormal, sigma 0.35): about 44% within
    # 12 months, all but a few within 30. Florists (~5 months) are nearly all within 12.
    assert profile.loc[("venue", 12), "visible_share"] == pytest.approx(0.44, abs=0.06)
    assert profile.loc[("florist", 12), "visible_share"] > 0.97
    assert (profile.groupby("vendor_type")["visible_share"].diff().dropna() >= 0).all()


def test_completed_first_year_matches_the_full_history_count() -> None:
    full, cut = _full_and_cut()
    first, newest = history_span(cut)
    # From December 2024 on, at least about a third of a venue's month is visible.
    second_half = range(_month("2024-12-01"), _month("2025-06-01"))
    truth = _by_vendor_type(final_counts(full), second_half)
    recorded = final_counts(cut)
    share = visible_share(lead_profile(cut, first, newest), recorded, first)
    restored = recorded.assign(enquiries=completed(recorded["enquiries"].to_numpy(), share))
    # Cut off, those venue months show well under two thirds of their demand...
    assert _by_vendor_type(recorded, second_half)["venue"] < 0.65 * truth["venue"]
    # ... completed, every vendor type is within 8% of what the full history recorded.
    assert np.allclose(_by_vendor_type(restored, second_half), truth, rtol=0.08)


def test_seasonal_naive_forecasts_the_completed_year_and_keeps_the_recorded_one() -> None:
    _, cut = _full_and_cut()
    rows = forecast_rows(cut, [_month("2025-09-01")])
    venues = rows[(rows["vendor_type"] == "venue") & (rows["month"] == _month("2025-12-01"))]
    naive = seasonal_naive(rows, venues, "enquiries")
    recorded = venues["enquiries_last_year_recorded"].to_numpy()
    # December 2024 was 11 months into the history: most of its venue demand is missing.
    assert (naive > 1.5 * recorded).all()
    assert np.allclose(naive, venues["enquiries_last_year"].to_numpy())


def test_too_little_visible_is_unknown_rather_than_blown_up() -> None:
    shares = np.array([1.0, 0.5, MIN_VISIBLE_SHARE / 2, 0.0])
    result = completed(np.array([10.0, 10.0, 10.0, 0.0]), shares)
    assert result[:2] == pytest.approx([10.0, 20.0])
    assert np.isnan(result[2:]).all()
