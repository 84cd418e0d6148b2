"""On-the-books snapshots and final counts: what a forecast could know at each origin."""

import pandas as pd
import pytest

from ml.demand.history import enquiry_months, final_counts, forecast_rows, month_index, on_the_books


def _enquiries() -> pd.DataFrame:
    # Two Welsh venue enquiries for an August 2025 wedding, one London venue enquiry for
    # August 2024; one of the 2025 enquiries booked in March 2025.
    return enquiry_months(
        pd.DataFrame(
            {
                "vendor_type": ["venue", "venue", "venue"],
                "region": ["wales", "wales", "london"],
                "wedding_date": ["2025-08-16", "2025-08-09", "2024-08-10"],
                "created_at": ["2024-09-01T10:00:00", "2025-02-10T09:00:00", "2024-01-05T08:00:00"],
                "booked_at": ["2025-03-02T12:00:00", None, None],
            }
        )
    )


def _month(text: str) -> int:
    return int(month_index(pd.Series([text])).iloc[0])


def test_on_the_books_counts_only_what_happened_before_the_origin() -> None:
    snapshot = on_the_books(_enquiries(), origin=_month("2025-03-01")).set_index(
        ["vendor_type", "region", "month"]
    )
    august = snapshot.loc[("venue", "wales", _month("2025-08-01"))]
    assert august["horizon"] == 6
    assert august["enquiries_on_books"] == 2
    assert august["bookings_on_books"] == 0  # booked on 2 March, after the origin
    later = on_the_books(_enquiries(), origin=_month("2025-04-01")).set_index(
        ["vendor_type", "region", "month"]
    )
    assert later.loc[("venue", "wales", _month("2025-08-01")), "bookings_on_books"] == 1


def test_snapshot_covers_twelve_months_for_every_segment() -> None:
    snapshot = on_the_books(_enquiries(), origin=_month("2025-03-01"))
    assert len(snapshot) == 2 * 12
    assert sorted(snapshot["horizon"].unique()) == list(range(1, 13))


def test_final_counts_keep_months_without_enquiries_as_zero() -> None:
    finals = final_counts(_enquiries()).set_index(["vendor_type", "region", "month"])
    assert finals.loc[("venue", "wales", _month("2025-08-01")), "enquiries"] == 2
    assert finals.loc[("venue", "wales", _month("2025-07-01")), "enquiries"] == 0
    assert finals.loc[("venue", "wales", _month("2025-08-01")), "bookings"] == 1


def test_forecast_rows_carry_last_year_and_only_complete_actuals() -> None:
    rows = forecast_rows(_enquiries(), [_month("2025-03-01")]).set_index(
        ["vendor_type", "region", "month"]
    )
    august = rows.loc[("venue", "london", _month("2025-08-01"))]
    assert august["enquiries_last_year"] == 1
    # The newest enquiry was made in February 2025, so August 2025 is not over: no actual.
    assert pd.isna(august["enquiries"])


@pytest.mark.parametrize(
    ("text", "expected"), [("2024-01-31", 2024 * 12), ("2025-12-01", 2025 * 12 + 11)]
)
def test_month_index_counts_months(text: str, expected: int) -> None:
    assert _month(text) == expected
