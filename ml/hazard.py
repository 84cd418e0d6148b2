"""When bookings come: a discrete-time hazard of the days from enquiry to booking.

An open enquiry that is `a` days old has not booked in its first `a` days, which is evidence
against it: the probability it still books is not the probability it books at all. With `p`
the at-enquiry probability and `S(a)` the share of bookings that come `a` or more days after
their enquiry, Bayes gives

    P(books | still open at age a) = p S(a) / (1 - p + p S(a))

(a mixture "cure" model: booking or not is the at-enquiry model's, timing is this hazard's).
The hazard h(d) = P(booked on day d | booked, not before day d) is estimated day by day from
settled enquiries only, whose bookings have all arrived, so the newest enquiries' short lags
do not make bookings look faster than they are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class BookingLagHazard:
    """Daily hazard of booking among enquiries that book, from day 0 to the longest lag seen."""

    hazard: np.ndarray
    bookings: int

    @classmethod
    def fit(cls, days_to_booking: pd.Series | np.ndarray) -> BookingLagHazard:
        """Estimate from the lags (whole days, >= 0) of settled booked enquiries."""
        lags = np.asarray(days_to_booking, dtype=float)
        lags = lags[~np.isnan(lags)].astype(np.int64)
        if len(lags) == 0 or lags.min() < 0:
            raise ValueError(f"need at least one non-negative booking lag, got {len(lags)} lags")
        booked_on_day = np.bincount(lags)
        at_risk = booked_on_day[::-1].cumsum()[::-1]
        return cls(hazard=booked_on_day / at_risk, bookings=len(lags))

    @property
    def horizon_days(self) -> int:
        """Every booking comes within this many days of its enquiry (the longest lag seen)."""
        return len(self.hazard) - 1

    def survival(self, age_days: np.ndarray) -> np.ndarray:
        """S(a): the share of bookings that come on day `a` or later (1 at a <= 0, 0 past the
        horizon)."""
        still_to_come = np.concatenate([[1.0], np.cumprod(1.0 - self.hazard)])
        ages = np.clip(np.asarray(age_days, dtype=np.int64), 0, len(still_to_come) - 1)
        return still_to_come[ages]

    def still_books(self, probability_at_enquiry: np.ndarray, age_days: np.ndarray) -> np.ndarray:
        """P(books within the horizon | no booking in its first `age_days` days)."""
        p = np.asarray(probability_at_enquiry, dtype=float)
        survival = self.survival(age_days)
        waiting = p * survival
        return np.divide(waiting, 1.0 - p + waiting, out=np.zeros_like(p), where=waiting > 0)
