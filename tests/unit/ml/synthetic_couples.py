"""Synthetic first-enquiry couples and reviewed bookings with a known signal, for the tests.

A couple's budget is `BUDGET_PER_BASE_PRICE[vendor type]` x the base price of the first supplier
they asked, times lognormal noise (couples ask suppliers they can afford). A booking's review
score is drawn from a distribution that rises with the supplier's hidden quality, which shows in
the supplier's past mean rating.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

VENDOR_TYPES = ("venue", "photographer", "florist")
BUDGET_PER_BASE_PRICE = {"venue": 2.5, "photographer": 8.0, "florist": 20.0}
REGIONS = ("london", "north_west", "scotland")
PRICE_BANDS = ("budget", "mid", "premium")
CHANNELS = ("search", "referral")


def synthetic_couples(count: int, seed: int) -> pd.DataFrame:
    """`count` couples with first-enquiry features and a stated budget (a few missing)."""
    rng = np.random.default_rng(seed)
    vendor_type = rng.choice(VENDOR_TYPES, count)
    budget = np.round(rng.lognormal(np.log(16_000), 0.7, count) / 50) * 50
    per_price = np.array([BUDGET_PER_BASE_PRICE[v] for v in vendor_type])
    base_price = budget / per_price * rng.lognormal(0, 0.15, count)
    first_date = pd.Timestamp("2023-01-01") + pd.to_timedelta(
        np.sort(rng.integers(0, 900, count)), unit="D"
    )
    couples = pd.DataFrame(
        {
            "couple_id": [f"cpl_{n:06d}" for n in range(count)],
            "first_enquiry_id": [f"enq_{n:07d}" for n in range(count)],
            "first_supplier_id": rng.choice([f"sup_{n:04d}" for n in range(40)], count),
            "first_enquiry_date": first_date,
            "vendor_type": vendor_type,
            "region": rng.choice(REGIONS, count),
            "price_band": rng.choice(PRICE_BANDS, count),
            "channel": rng.choice(CHANNELS, count),
            "base_price_gbp": np.round(base_price, 2),
            "lead_time_days": rng.integers(60, 700, count),
            "guest_count": rng.integers(20, 200, count),
            "wedding_month": rng.integers(1, 13, count),
            "is_peak_season": rng.random(count) < 0.6,
            "is_saturday": rng.random(count) < 0.7,
            "budget_gbp": budget,
        }
    )
    couples.loc[rng.random(count) < 0.01, "budget_gbp"] = np.nan
    return couples


def synthetic_reviews(count: int, seed: int) -> pd.DataFrame:
    """`count` standing bookings, about 40% reviewed, whose score follows supplier quality."""
    rng = np.random.default_rng(seed)
    suppliers = 60
    quality = rng.normal(0, 1, suppliers)
    supplier = rng.integers(0, suppliers, count)
    # Score = 3 + 1.2 x quality + noise, cut into 1..5.
    latent = 3.6 + 1.2 * quality[supplier] + rng.normal(0, 0.8, count)
    rating = np.clip(np.round(latent), 1, 5)
    past_reviews = rng.integers(0, 30, count)
    past_mean = np.clip(3.6 + 1.2 * quality[supplier] + rng.normal(0, 0.3, count), 1, 5)
    booked_on = pd.Timestamp("2023-01-01") + pd.to_timedelta(
        np.sort(rng.integers(0, 900, count)), unit="D"
    )
    bookings = pd.DataFrame(
        {
            "booking_id": [f"bkg_{n:07d}" for n in range(count)],
            "supplier_id": [f"sup_{n:04d}" for n in supplier],
            "booked_on": booked_on,
            "wedding_date": booked_on + pd.to_timedelta(rng.integers(60, 500, count), unit="D"),
            "vendor_type": rng.choice(VENDOR_TYPES, count),
            "region": rng.choice(REGIONS, count),
            "price_band": rng.choice(PRICE_BANDS, count),
            "channel": rng.choice(CHANNELS, count),
            "lead_time_days": rng.integers(60, 500, count),
            "guest_count": rng.integers(20, 200, count),
            "total_value_gbp": rng.lognormal(np.log(3000), 0.5, count),
            "budget_to_price_ratio": rng.lognormal(0, 0.4, count),
            "supplier_past_reviews": past_reviews,
            "supplier_past_mean_rating": np.where(past_reviews > 0, past_mean, np.nan),
            "supplier_past_share_4_plus": np.where(
                past_reviews > 0, np.clip((past_mean - 2) / 3, 0, 1), np.nan
            ),
            "rating": pd.array(np.where(rng.random(count) < 0.4, rating, np.nan)).astype("Int64"),
        }
    )
    return bookings
