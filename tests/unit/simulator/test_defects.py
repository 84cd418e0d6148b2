"""Injected defects: present at their configured rates, listed in the truth file with the key
of the row that carries them, and each one really breaks its rule."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from tests.unit.simulator.conftest import AS_OF
from tests.unit.simulator.landing import read_truth
from wedsync.simulator import DEFECT_TYPES, DefectRates, SimulationConfig, simulate


@pytest.fixture(scope="module")
def defects(mid_landing: Path) -> pd.DataFrame:
    return read_truth(mid_landing, "defects")


def _rows_of(exports: dict[str, pd.DataFrame], defects: pd.DataFrame, kind: str) -> pd.DataFrame:
    """The exported rows the truth file lists for one defect type, joined to their truth."""
    listed = defects[defects["defect_type"] == kind]
    table = listed["table_name"].iloc[0]
    key = {"enquiries": "enquiry_id", "bookings": "booking_id"}[table]
    rows = exports[table].merge(listed, left_on=key, right_on="row_key")
    assert set(rows["row_key"]) == set(listed["row_key"]), f"{kind}: row keys missing"
    return rows


def test_every_defect_type_is_present_at_about_its_rate(defects, mid_exports):
    rates = DefectRates()
    assert set(defects["defect_type"]) == set(DEFECT_TYPES)
    clean_enquiries = (
        len(mid_exports["enquiries"]) - (defects["defect_type"] == "duplicate_enquiry").sum()
    )
    bookings = mid_exports["bookings"]["booking_id"].nunique()
    for kind in DEFECT_TYPES:
        rows = bookings if kind == "booking_after_wedding" else clean_enquiries
        expected = rates.rate(kind) * rows
        assert (defects["defect_type"] == kind).sum() == pytest.approx(expected, rel=0.3), kind


def test_a_row_carries_at_most_one_defect(defects):
    assert not defects.duplicated(["table_name", "row_key"]).any()


def test_the_exported_value_is_the_listed_defective_value(defects, mid_exports):
    for kind in DEFECT_TYPES:
        if kind == "duplicate_enquiry":
            continue
        rows = _rows_of(mid_exports, defects, kind)
        exported = rows.apply(lambda row: row[row["column_name"]], axis=1)
        assert (exported == rows["value"]).all(), kind


def _is_real_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def test_each_defect_breaks_its_rule(defects, mid_exports):
    invalid = _rows_of(mid_exports, defects, "invalid_wedding_date")
    assert not invalid["wedding_date"].map(_is_real_date).any()

    guests = _rows_of(mid_exports, defects, "guest_count_out_of_range")["guest_count"].astype(int)
    assert not guests.between(1, 600).any()

    budget = _rows_of(mid_exports, defects, "budget_out_of_range")["budget_gbp"].astype(float)
    assert not budget.between(1000, 250_000).any()

    over = _rows_of(mid_exports, defects, "guest_count_over_capacity").merge(
        mid_exports["suppliers"][["supplier_id", "vendor_type", "capacity"]], on="supplier_id"
    )
    assert (over["vendor_type"] == "venue").all()
    guests = over["guest_count"].astype(int)
    assert (guests > over["capacity"].astype(int)).all() and (guests <= 600).all()

    late = _rows_of(mid_exports, defects, "booking_after_wedding")
    booked_on = late["booked_at"].str[:10]
    assert (late["wedding_date"] < booked_on).all()


def test_duplicates_repeat_an_earlier_clean_enquiry(defects, mid_exports):
    duplicates = _rows_of(mid_exports, defects, "duplicate_enquiry")
    originals = mid_exports["enquiries"].set_index("enquiry_id").loc[duplicates["value"]]
    for column in ("supplier_id", "couple_id", "wedding_date"):
        assert (originals[column].to_numpy() == duplicates[column].to_numpy()).all(), column
    assert (originals["created_at"].to_numpy() < duplicates["created_at"].to_numpy()).all()
    assert not duplicates["enquiry_id"].isin(originals.index).any()
    assert not originals.index.isin(defects["row_key"]).any()


def test_truth_outcomes_cover_exactly_the_clean_enquiries(defects, mid_landing, mid_exports):
    outcomes = read_truth(mid_landing, "enquiry_outcomes")
    defective = set(defects.loc[defects["table_name"] == "enquiries", "row_key"])
    clean = set(mid_exports["enquiries"]["enquiry_id"]) - defective
    assert set(outcomes["enquiry_id"]) == clean
    assert outcomes["true_probability"].between(0, 1).all()
    # Every exported booking's enquiry booked; some booked enquiries book only after as_of.
    booked = set(outcomes.loc[outcomes["booked"], "enquiry_id"])
    assert set(mid_exports["bookings"]["enquiry_id"]) < booked


def test_rates_are_configurable_and_checked(tmp_path: Path):
    no_defects = DefectRates(**dict.fromkeys(DEFECT_TYPES, 0.0))
    summary = simulate(
        SimulationConfig(landing_dir=tmp_path, as_of=AS_OF, scale=0.02, defect_rates=no_defects)
    )
    assert sum(summary.defects.values()) == 0
    assert read_truth(tmp_path, "defects").empty
    with pytest.raises(ValueError, match="budget_out_of_range"):
        DefectRates(budget_out_of_range=0.5)
