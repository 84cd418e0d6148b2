"""Pipeline value: which booking value prices a supplier's open enquiries, and the sums."""

import math

import numpy as np
import pandas as pd
import pytest

from ml.pipeline_value import expected_booking_values, likely_bookings, pipeline_value

SUPPLIERS = pd.DataFrame(
    {
        "supplier_id": ["sup_1", "sup_2", "sup_3", "sup_4"],
        "vendor_type": ["venue", "venue", "venue", "band"],
        "region": ["wales", "wales", "london", "scotland"],
    }
)
HISTORY = pd.DataFrame(
    {
        # sup_1 has enough bookings of its own; sup_2 too few; sup_3 none; sup_4 no history.
        "supplier_id": ["sup_1", "sup_1", "sup_2", "sup_3"],
        "bookings": [2, 2, 1, 0],
        "revenue_gbp": [20_000.0, 12_000.0, 4_000.0, 0.0],
    }
)


def _values() -> dict[str, tuple[float, str | None]]:
    values = expected_booking_values(SUPPLIERS, HISTORY)
    return {
        row.supplier_id: (row.booking_value_gbp, row.value_basis)
        for row in values.itertuples(index=False)
    }


def test_supplier_with_enough_bookings_is_priced_on_its_own_average() -> None:
    assert _values()["sup_1"] == (pytest.approx(8_000.0), "supplier")


def test_supplier_with_few_bookings_falls_back_to_its_vendor_type_in_its_region() -> None:
    # Welsh venues: 5 bookings, £36,000 between them.
    assert _values()["sup_2"] == (pytest.approx(7_200.0), "vendor_type_region")


def test_supplier_alone_in_its_region_falls_back_to_its_vendor_type_nationally() -> None:
    assert _values()["sup_3"] == (pytest.approx(36_000.0 / 5), "vendor_type")


def test_vendor_type_never_booked_has_no_value() -> None:
    value, basis = _values()["sup_4"]
    assert math.isnan(value) and pd.isna(basis)


def test_pipeline_value_sums_probability_times_booking_value_per_supplier() -> None:
    scores = pd.DataFrame(
        {
            "enquiry_id": ["enq_1", "enq_2", "enq_3", "enq_4"],
            "supplier_id": ["sup_1", "sup_1", "sup_2", "sup_4"],
            "probability": [0.5, 0.25, 0.1, 0.4],
        }
    )
    valued = pipeline_value(scores, expected_booking_values(SUPPLIERS, HISTORY)).set_index(
        "supplier_id"
    )
    assert list(valued.index) == ["sup_1", "sup_2", "sup_4"]
    assert valued.loc["sup_1", "open_enquiries"] == 2
    assert valued.loc["sup_1", "expected_bookings"] == pytest.approx(0.75)
    assert valued.loc["sup_1", "expected_revenue_gbp"] == pytest.approx(6_000.0)
    assert valued.loc["sup_2", "expected_revenue_gbp"] == pytest.approx(720.0)
    assert valued.loc["sup_4", "expected_bookings"] == pytest.approx(0.4)
    assert math.isnan(valued.loc["sup_4", "expected_revenue_gbp"])
    # sup_1 books none with 0.375, one with 0.5, both with 0.125: 90% of outcomes in 0..2.
    assert (valued.loc["sup_1", "bookings_low"], valued.loc["sup_1", "bookings_high"]) == (0, 2)


def test_likely_bookings_is_the_central_range_of_the_exact_count() -> None:
    # 20 enquiries at 0.5: the count is Binomial(20, 0.5), whose central 90% is 6..14
    # (P(X <= 5) = 0.021 < 0.05 <= P(X <= 6) = 0.058; P(X <= 13) = 0.942 < 0.95 <= P(X <= 14)).
    assert likely_bookings(np.full(20, 0.5)) == (6, 14)
    # Certain outcomes have no spread; a long shot's range starts at none.
    assert likely_bookings(np.array([1.0, 1.0, 0.0])) == (2, 2)
    assert likely_bookings(np.array([0.02, 0.03])) == (0, 0)
    assert likely_bookings(np.array([])) == (0, 0)


def test_likely_bookings_covers_what_really_books_nine_times_in_ten() -> None:
    rng = np.random.default_rng(12)
    probabilities = rng.beta(1, 6, size=(2_000, 25))
    ranges = np.array([likely_bookings(p) for p in probabilities])
    booked = (rng.random(probabilities.shape) < probabilities).sum(axis=1)
    covered = ((ranges[:, 0] <= booked) & (booked <= ranges[:, 1])).mean()
    assert 0.90 <= covered <= 0.97


def test_no_open_enquiries_is_an_empty_pipeline() -> None:
    scores = pd.DataFrame({"enquiry_id": [], "supplier_id": [], "probability": []}).astype(
        {"probability": "float64"}
    )
    valued = pipeline_value(scores, expected_booking_values(SUPPLIERS, HISTORY))
    assert valued.empty
    assert {"open_enquiries", "expected_bookings", "expected_revenue_gbp"} <= set(valued.columns)
