"""Pipeline value: which booking value prices a supplier's open enquiries, and the sums."""

import math

import pandas as pd
import pytest

from ml.pipeline_value import expected_booking_values, pipeline_value

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


def test_no_open_enquiries_is_an_empty_pipeline() -> None:
    scores = pd.DataFrame({"enquiry_id": [], "supplier_id": [], "probability": []}).astype(
        {"probability": "float64"}
    )
    valued = pipeline_value(scores, expected_booking_values(SUPPLIERS, HISTORY))
    assert valued.empty
    assert {"open_enquiries", "expected_bookings", "expected_revenue_gbp"} <= set(valued.columns)
