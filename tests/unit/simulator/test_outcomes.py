"""Bookings, payments and reviews follow the platform's rules of thumb."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.unit.simulator.conftest import AS_OF
from tests.unit.simulator.landing import read_truth
from wedsync.simulator import calibration as cal


@pytest.fixture(scope="module")
def bookings(mid_exports: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per booking, as the latest export row says (a cancellation wins)."""
    rows = mid_exports["bookings"].sort_values("_export_date", kind="stable")
    return rows.drop_duplicates("booking_id", keep="last").set_index("booking_id")


def test_about_five_percent_of_bookings_are_cancelled(bookings):
    # Cancellations still ahead of as_of are not exported yet, so the share is a bit lower.
    assert 0.025 <= (bookings["status"] == "cancelled").mean() <= cal.CANCELLATION_RATE + 0.01


def test_booking_lag_is_between_one_and_fifty_five_days(bookings, mid_exports):
    created = (
        mid_exports["enquiries"].set_index("enquiry_id").loc[bookings["enquiry_id"], "created_at"]
    )
    lag = pd.to_datetime(bookings["booked_at"].to_numpy()) - pd.to_datetime(created.to_numpy())
    assert lag.min() >= pd.Timedelta(days=cal.BOOKING_LAG_MIN_DAYS)
    assert lag.max() <= pd.Timedelta(days=cal.BOOKING_LAG_MAX_DAYS)


def test_deposit_is_a_quarter_paid_on_the_booking_day(bookings, mid_exports):
    deposits = mid_exports["payments"].query("payment_type == 'deposit'").set_index("booking_id")
    booked = bookings.loc[deposits.index]
    assert (
        (deposits["amount_gbp"].astype(float) - booked["deposit_gbp"].astype(float)).abs() < 0.01
    ).all()
    ratio = booked["deposit_gbp"].astype(float) / booked["total_value_gbp"].astype(float)
    assert ratio.between(0.24, 0.26).all()
    assert (deposits["paid_at"].str[:10] >= booked["booked_at"].str[:10]).all()
    assert len(deposits) > 0.95 * len(bookings)


def test_some_weddings_in_the_next_fortnight_still_owe_their_balance(bookings, mid_exports):
    wedding = pd.to_datetime(bookings["wedding_date"], format="%Y-%m-%d", errors="coerce")
    soon = bookings[
        (wedding >= pd.Timestamp(AS_OF))
        & (wedding < pd.Timestamp(AS_OF) + pd.Timedelta(days=14))
        & (bookings["status"] == "confirmed")
    ]
    balances = mid_exports["payments"].query("payment_type == 'balance'")
    unpaid = ~soon.index.isin(balances["booking_id"])
    assert len(soon) > 0
    assert 0 < unpaid.sum() < len(soon)


def test_about_forty_percent_of_past_weddings_are_reviewed_mostly_five_stars(bookings, mid_exports):
    reviews = mid_exports["reviews"]
    wedding = pd.to_datetime(bookings["wedding_date"], format="%Y-%m-%d", errors="coerce")
    settled = bookings[
        (wedding < pd.Timestamp(AS_OF) - pd.Timedelta(days=60))
        & (bookings["status"] == "confirmed")
    ]
    share = settled.index.isin(reviews["booking_id"]).mean()
    assert share == pytest.approx(cal.REVIEW_SHARE, abs=0.05)
    ratings = reviews["rating"].astype(int)
    assert ratings.mode().iloc[0] == 5 and ratings.mean() > 4.0


def test_reviews_come_seven_to_sixty_days_after_the_wedding(bookings, mid_exports, mid_landing):
    defects = read_truth(mid_landing, "defects")
    reviews = mid_exports["reviews"]
    reviews = reviews[~reviews["booking_id"].isin(defects["row_key"])]
    posted = pd.to_datetime(reviews["posted_at"], format="%Y-%m-%dT%H:%M:%SZ")
    married = pd.to_datetime(bookings.loc[reviews["booking_id"], "wedding_date"], format="%Y-%m-%d")
    delay = posted.to_numpy() - married.to_numpy()
    assert delay.min() >= pd.Timedelta(days=7).to_numpy()
    assert delay.max() <= pd.Timedelta(days=60).to_numpy()
