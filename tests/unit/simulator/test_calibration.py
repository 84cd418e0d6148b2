"""The simulated market reproduces the published UK figures of `calibration`, within tolerance."""

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
    assert weddings["budget"].mean() == pytest.approx(20_600, rel=0.05)
    assert weddings["budget"].mean() > weddings["budget"].median() * 1.2  # right-skewed


def test_about_eighty_guests_on_average(weddings):
    assert weddings["guests"].mean() == pytest.approx(80, abs=3)


def test_weddings_peak_in_summer_with_august_on_top(weddings):
    months = weddings["wedding_date"].dt.month.value_counts(normalize=True)
    assert months.idxmax() == 8
    assert months.loc[[5, 6, 7, 8, 9]].sum() == pytest.approx(0.63, abs=0.04)


def test_about_half_of_weddings_are_on_saturdays(weddings):
    saturday_share = (weddings["wedding_date"].dt.day_of_week == 5).mean()
    assert saturday_share == pytest.approx(0.5, abs=0.03)


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


def test_booking_rate_and_oracle_auc(mid_landing: Path):
    outcomes = read_truth(mid_landing, "enquiry_outcomes")
    assert 0.25 <= outcomes["booked"].mean() <= 0.35
    # The latent probability carries real signal for a model to learn.
    assert roc_auc_score(outcomes["booked"], outcomes["true_probability"]) > 0.7


def test_every_vendor_type_and_region_has_suppliers(mid_exports: dict[str, pd.DataFrame]):
    suppliers = mid_exports["suppliers"]
    assert set(suppliers["vendor_type"]) == set(VENDOR_TYPES)
    assert set(suppliers["region"]) == set(cal.REGIONS)
    assert len(suppliers) == round(cal.SUPPLIERS_AT_SCALE_ONE * 0.3)
