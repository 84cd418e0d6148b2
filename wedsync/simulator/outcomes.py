"""What follows a booked enquiry: the booking (sometimes cancelled), its payments, a review.

Everything is drawn for the eventual outcome, then cut at `as_of`: a booking confirmed after
`as_of` is not exported (the enquiry is still open), a payment or review dated after it has not
happened yet.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wedsync.simulator import calibration as cal
from wedsync.simulator.timeline import SECONDS_PER_DAY

_DAY = np.timedelta64(SECONDS_PER_DAY, "s")
_NOT_YET = np.datetime64("NaT", "s")
#: Booking lag: one day plus an exponential wait (median about a week), at most 55 days.
_LAG_MEAN_DAYS = 10.0
#: Venues and caterers price per head; their quotes grow with the guest list.
_PER_HEAD_TYPES = ("venue", "caterer")


def _seconds(days: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(days) * SECONDS_PER_DAY).astype("timedelta64[s]")


def draw_booked_at(rng: np.random.Generator, enquiries: pd.DataFrame) -> np.ndarray:
    """When each enquiry would book if it does: 1..55 days later and before the wedding day."""
    created_at = enquiries["created_at"].to_numpy()
    wedding_starts = enquiries["wedding_date"].to_numpy().astype("datetime64[s]")
    lag_days = cal.BOOKING_LAG_MIN_DAYS + rng.exponential(_LAG_MEAN_DAYS, len(enquiries))
    lag = _seconds(np.minimum(lag_days, cal.BOOKING_LAG_MAX_DAYS))
    return np.minimum(created_at + lag, wedding_starts - np.timedelta64(1, "s"))


def make_bookings(
    rng: np.random.Generator,
    enquiries: pd.DataFrame,
    suppliers: pd.DataFrame,
    as_of_at: np.datetime64,
) -> pd.DataFrame:
    """Bookings confirmed before `as_of`, numbered in booking order, with value and cancellation.

    `enquiries` must already carry ids; only clean booked enquiries become bookings.
    """
    booked = enquiries[enquiries["booked"] & (enquiries["booked_at"] < as_of_at)]
    booked = booked.sort_values(["booked_at", "enquiry_id"], kind="stable").reset_index(drop=True)
    count = len(booked)
    supplier = booked["supplier"].to_numpy()
    per_head = np.where(
        np.isin(booked["vendor_type"].to_numpy(), _PER_HEAD_TYPES),
        np.sqrt(booked["guest_count"].to_numpy() / cal.GUESTS_MEDIAN),
        1.0,
    )
    total = np.round(
        suppliers["base_price_gbp"].to_numpy()[supplier] * per_head * rng.lognormal(0, 0.15, count),
        2,
    )
    booked_at = booked["booked_at"].to_numpy()
    wedding_starts = booked["wedding_date"].to_numpy().astype("datetime64[s]")
    room = (wedding_starts - booked_at) / _DAY
    cancels = (rng.random(count) < cal.CANCELLATION_RATE) & (room > 3)
    cancelled_at = booked_at + _seconds(1 + rng.random(count) * np.maximum(room - 2, 0))
    return pd.DataFrame(
        {
            "booking_id": [f"bkg_{number:07d}" for number in range(1, count + 1)],
            "enquiry_id": booked["enquiry_id"].to_numpy(),
            "supplier": supplier,
            "supplier_id": suppliers["supplier_id"].to_numpy()[supplier],
            "couple_id": booked["couple_id"].to_numpy(),
            "booked_at": booked_at,
            "cancelled_at": np.where(cancels, cancelled_at, _NOT_YET).astype("datetime64[s]"),
            "wedding_date": booked["wedding_date"].to_numpy(),
            "total_value_gbp": total,
            "deposit_gbp": np.round(total * cal.DEPOSIT_SHARE, 2),
        }
    )


def make_payments(
    rng: np.random.Generator, bookings: pd.DataFrame, as_of_at: np.datetime64
) -> pd.DataFrame:
    """Deposits on the booking date and balances about 30 days before the wedding, paid before
    `as_of`.

    Some couples pay the balance late, in the wedding's last week, so weddings in the coming
    fortnight can still have an unpaid balance. No balance is paid after a
    cancellation, nor on a booking whose exported wedding date is defective (its payment
    would look later than the wedding).
    """
    count = len(bookings)
    booked_at = bookings["booked_at"].to_numpy()
    wedding_starts = bookings["wedding_date"].to_numpy().astype("datetime64[s]")
    deposit_at = booked_at + rng.integers(0, 1800, count).astype("timedelta64[s]")
    due_at = wedding_starts - np.timedelta64(cal.BALANCE_DUE_DAYS_BEFORE_WEDDING, "D")
    on_time = due_at - _seconds(rng.random(count) * 5)
    late = wedding_starts - _seconds(0.5 + rng.random(count) * (cal.LATE_BALANCE_LAST_DAYS - 0.5))
    balance_at = np.where(rng.random(count) < cal.LATE_BALANCE_SHARE, late, on_time)
    # A booking made after the balance fell due pays in full within a day.
    balance_at = np.maximum(balance_at, booked_at + _seconds(0.5 + rng.random(count) * 0.5))
    cancelled_at = bookings["cancelled_at"].to_numpy()
    balance_paid = ~(cancelled_at <= balance_at) & bookings["defect_type"].isna().to_numpy()
    payments = pd.concat(
        [
            pd.DataFrame(
                {
                    "booking_id": bookings["booking_id"].to_numpy(),
                    "supplier_id": bookings["supplier_id"].to_numpy(),
                    "paid_at": deposit_at,
                    "payment_type": "deposit",
                    "amount_gbp": bookings["deposit_gbp"].to_numpy(),
                }
            ),
            pd.DataFrame(
                {
                    "booking_id": bookings["booking_id"].to_numpy(),
                    "supplier_id": bookings["supplier_id"].to_numpy(),
                    "paid_at": balance_at,
                    "payment_type": "balance",
                    "amount_gbp": np.round(
                        bookings["total_value_gbp"].to_numpy() - bookings["deposit_gbp"].to_numpy(),
                        2,
                    ),
                }
            )[balance_paid],
        ],
        ignore_index=True,
    )
    payments = payments[payments["paid_at"] < as_of_at]
    payments = payments.sort_values(["paid_at", "booking_id", "payment_type"], kind="stable")
    payments.insert(0, "payment_id", [f"pay_{n:07d}" for n in range(1, len(payments) + 1)])
    return payments.reset_index(drop=True)


def make_reviews(
    rng: np.random.Generator, bookings: pd.DataFrame, as_of_at: np.datetime64
) -> pd.DataFrame:
    """Reviews of about 40% of the weddings that happened, 7-60 days after them."""
    count = len(bookings)
    wedding_starts = bookings["wedding_date"].to_numpy().astype("datetime64[s]")
    low, high = cal.REVIEW_DELAY_DAYS
    posted_at = wedding_starts + _seconds(low + rng.random(count) * (high - low))
    ratings = np.array(list(cal.RATING_SHARE))
    share = np.array(list(cal.RATING_SHARE.values()))
    rating = ratings[rng.choice(len(ratings), size=count, p=share / share.sum())]
    reviewed = (
        (rng.random(count) < cal.REVIEW_SHARE)
        & bookings["cancelled_at"].isna().to_numpy()
        & (posted_at < as_of_at)
    )
    reviews = pd.DataFrame(
        {
            "booking_id": bookings["booking_id"].to_numpy(),
            "supplier_id": bookings["supplier_id"].to_numpy(),
            "couple_id": bookings["couple_id"].to_numpy(),
            "posted_at": posted_at,
            "rating": rating,
        }
    )[reviewed]
    reviews = reviews.sort_values(["posted_at", "booking_id"], kind="stable")
    reviews.insert(0, "review_id", [f"rev_{n:07d}" for n in range(1, len(reviews) + 1)])
    return reviews.reset_index(drop=True)
