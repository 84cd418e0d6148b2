"""Synthetic enquiries with a known latent booking probability, for ML tests.

Stands in for `features.ml_booking_features` (a dbt model). Each enquiry's probability is a
logistic function of a few features, some of them non-linear (the log of the budget ratio, and
a best lead time that differs by vendor type, as venues book about 13 months ahead and
photographers about 8, and a supplier whose date is already booked), so gradient boosting can
beat logistic regression and a good model's ROC AUC approaches the oracle's. The probability
uses only what is known at enquiry time (it is the at-enquiry oracle). A booking comes 1-55
days after its enquiry, so the newest enquiries are censored as in the real table: booked only
if the booking has come by the day after the newest enquiry.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

VENDOR_TYPES = ["venue", "photographer", "florist", "caterer", "band"]
REGIONS = ["london", "south_east", "scotland", "wales"]
PRICE_BANDS = ["budget", "mid", "premium", "luxury"]
CHANNELS = ["search", "featured_listing", "referral", "social", "wedding_fair"]
OPEN_WINDOW_DAYS = 60
SUPPLIERS = 97
BEST_LEAD_DAYS = {"venue": 400, "photographer": 240, "florist": 240, "caterer": 300, "band": 270}


def synthetic_enquiries(rows: int, seed: int) -> pd.DataFrame:
    """Enquiries over two years with outcomes drawn from a known `true_probability`."""
    rng = np.random.default_rng(seed)
    # Each supplier has one vendor type, region and price band, as in `dim_suppliers`.
    supplier = rng.integers(0, SUPPLIERS, rows)
    vendor_type = np.array(VENDOR_TYPES)[rng.integers(0, len(VENDOR_TYPES), SUPPLIERS)][supplier]
    region = np.array(REGIONS)[rng.integers(0, len(REGIONS), SUPPLIERS)][supplier]
    price_band = np.array(PRICE_BANDS)[rng.integers(0, len(PRICE_BANDS), SUPPLIERS)][supplier]
    lead_time = rng.integers(30, 700, rows)
    best_lead = np.array([BEST_LEAD_DAYS[vendor] for vendor in vendor_type])
    responded = rng.random(rows) < 0.8
    channel = rng.choice(CHANNELS, rows)
    budget_ratio = rng.lognormal(0.0, 0.4, rows)
    first_response = np.where(responded, rng.exponential(24.0, rows), np.nan)
    date_bookings = (rng.random(rows) < 0.1).astype(int)
    latent = (
        -0.9
        + 1.5 * np.log(budget_ratio)
        + 0.8 * (channel == "referral")
        - 1.5 * ((lead_time - best_lead) / 250.0) ** 2
        - 2.5 * date_bookings
    )
    true_probability = 1.0 / (1.0 + np.exp(-latent))
    booked = rng.random(rows) < true_probability
    lag_days = np.minimum(1 + np.floor(rng.exponential(10.0, rows)), 55).astype(int)
    start = dt.date(2024, 1, 1)
    enquiry_date = pd.to_datetime(start) + pd.to_timedelta(np.sort(rng.integers(0, 730, rows)), "D")
    wedding_month = rng.integers(1, 13, rows)
    newest = enquiry_date.max()
    # The couple's history gets its own stream, so every column above is as it always was.
    history = np.random.default_rng(seed + 1)
    booked_by_now = booked & (enquiry_date + pd.to_timedelta(lag_days, "D") <= newest)
    is_open = ~booked_by_now & (enquiry_date > newest - pd.Timedelta(days=OPEN_WINDOW_DAYS))
    return pd.DataFrame(
        {
            "enquiry_id": [f"enq_{i:07d}" for i in range(rows)],
            "supplier_id": [f"sup_{i:06d}" for i in supplier],
            "couple_id": [f"cpl_{i:06d}" for i in range(rows)],
            "enquiry_date": enquiry_date.date,
            "vendor_type": vendor_type,
            "region": region,
            "price_band": price_band,
            "channel": channel,
            "lead_time_days": lead_time,
            "guest_count": rng.integers(20, 250, rows),
            "budget_gbp": np.round(rng.uniform(500, 30000, rows), 2),
            "budget_to_price_ratio": budget_ratio,
            "first_response_hours": first_response,
            "responded": responded,
            "wedding_month": wedding_month,
            "is_peak_season": np.isin(wedding_month, [5, 6, 7, 8, 9]),
            "is_saturday": rng.random(rows) < 0.6,
            "wedding_month_rain_days": 8.0 + wedding_month % 5,
            "wedding_month_mean_temp_c": 5.0 + wedding_month,
            "supplier_date_bookings": date_bookings,
            "couple_prior_enquiries": history.poisson(0.8, rows),
            "couple_booked_vendor_type": history.random(rows) < 0.05,
            "outcome": np.where(is_open, "open", np.where(booked, "booked", "lost")),
            "booked": np.where(is_open, None, booked.astype(int)),
            "days_to_booking": np.where(booked_by_now, lag_days, None),
            "true_probability": true_probability,
            "booked_eventually": booked,
        }
    )
