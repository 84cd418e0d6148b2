"""The simulated market reproduces the published UK figures of `calibration`, within tolerance
(each figure and its source: docs/market-calibration.md)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from tests.unit.simulator.landing import read_truth
from wedsync.simulator import calibration as cal
from wedsync.vendor_types import VENDOR_TYPES


@pytest.fixture(scope="module")
def weddings(mid_exports: dict[str, pd.DataFrame], mid_landing: Path) -> pd.DataFrame:
    """One row per couple (their clean enquiries all carry the same wedding plan)."""
    defects = read_truth(mid_landing, "defects")
    enquiries = mid_exports["enquiries"]
    clean = enquiries[~enquiries["enquiry_id"].isin(defects["row_key"])]
    couples = clean.drop_duplicates("couple_id")
    return pd.DataFrame(
        {
            "budget": couples["budget_gbp"].astype(float),
            "guests": couples["guest_count"].astype(int),
            "wedding_date": pd.to_datetime(couples["wedding_date"], format="%Y-%m-%d"),
        }
    )


def test_budget_is_lognormal_with_uk_median_and_mean(weddings):
    assert weddings["budget"].median() == pytest.approx(cal.BUDGET_MEDIAN_GBP, rel=0.05)
    # Hitched 2024: about £20,700 for weddings in 2023.
    assert weddings["budget"].mean() == pytest.approx(20_700, rel=0.05)
    assert weddings["budget"].mean() > weddings["budget"].median() * 1.2  # right-skewed


def test_about_eighty_guests_on_average(weddings):
    assert weddings["guests"].mean() == pytest.approx(80, abs=3)


def test_weddings_peak_in_summer_with_august_on_top(weddings):
    months = weddings["wedding_date"].dt.month.value_counts(normalize=True)
    assert months.idxmax() in (7, 8)  # ONS 2023 August 14%; July is a close second
    assert months.loc[8] == pytest.approx(0.14, abs=0.015)
    assert months.loc[1] == pytest.approx(0.03, abs=0.01)  # ONS 2023: January about 3%
    assert months.loc[5] == pytest.approx(0.13, abs=0.015)  # Bridebook 2024: May about 13%


def test_weekday_shares_follow_the_ons(weddings):
    weekday = weddings["wedding_date"].dt.day_of_week.value_counts(normalize=True)
    assert weekday.loc[5] == pytest.approx(0.42, abs=0.02)  # Saturday, ONS 2023
    assert weekday.loc[4] == pytest.approx(0.17, abs=0.02)  # Friday, ONS 1995-2013
    assert weekday.loc[6] == pytest.approx(0.04, abs=0.01)  # Sunday, ONS 1995-2013


def test_lead_times_follow_the_vendor_type(mid_exports: dict[str, pd.DataFrame]):
    enquiries = mid_exports["enquiries"].merge(
        mid_exports["suppliers"][["supplier_id", "vendor_type"]], on="supplier_id"
    )
    wedding = pd.to_datetime(enquiries["wedding_date"], format="%Y-%m-%d", errors="coerce")
    created = pd.to_datetime(enquiries["created_at"].str[:10], format="%Y-%m-%d")
    enquiries["lead_months"] = (wedding - created).dt.days / cal.DAYS_PER_MONTH
    median = enquiries.groupby("vendor_type")["lead_months"].median()
    assert median["venue"] == pytest.approx(13, abs=1)
    assert 7 <= median["photographer"] <= 9
    assert 7 <= median["florist"] <= 9
    assert median.between(7, 13.5).all()
    # A wide spread: late planners and two-years-ahead couples both exist.
    spread = enquiries.groupby("vendor_type")["lead_months"].quantile([0.1, 0.9]).unstack()
    assert (spread[0.9] / spread[0.1] > 3.5).all()


def test_booking_rate_and_oracle_auc(mid_landing: Path):
    outcomes = read_truth(mid_landing, "enquiry_outcomes")
    assert 0.25 <= outcomes["booked"].mean() <= 0.32
    # The latent probability carries real signal for a model to learn, and is calibrated.
    assert roc_auc_score(outcomes["booked"], outcomes["true_probability"]) > 0.7
    at_enquiry = outcomes["true_probability_at_enquiry"]
    assert roc_auc_score(outcomes["booked"], at_enquiry) > 0.68
    assert at_enquiry.mean() == pytest.approx(outcomes["booked"].mean(), abs=0.01)


def test_venue_and_catering_take_the_published_shares_of_spend():
    assert cal.BUDGET_SHARE["venue"] == pytest.approx(0.45, abs=0.03)  # Hitched: 43-48%
    assert cal.BUDGET_SHARE["caterer"] == pytest.approx(0.28, abs=0.01)  # Bridebook: ~28%


def test_every_vendor_type_and_region_has_suppliers(mid_exports: dict[str, pd.DataFrame]):
    suppliers = mid_exports["suppliers"]
    assert set(suppliers["vendor_type"]) == set(VENDOR_TYPES)
    assert set(suppliers["region"]) == set(cal.REGIONS)
    assert len(suppliers) == round(cal.SUPPLIERS_AT_SCALE_ONE * 0.3)
