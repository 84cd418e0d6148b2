"""The marketplace's wedding suppliers: who they are, where, how priced, since when."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from wedsync.exports import EXPORT_START_DATE
from wedsync.simulator import calibration as cal
from wedsync.simulator.timeline import SECONDS_PER_DAY, midnight
from wedsync.vendor_types import VENDOR_TYPES

_NAME_FIRST = (
    "Rosewood", "Willow", "Ivy", "Oak", "Hawthorn", "Bluebell", "Primrose", "Heather", "Foxglove",
    "Meadow", "Orchard", "Harbour", "Thistle", "Juniper", "Laurel", "Magnolia", "Elder", "Linden",
    "Kingfisher", "Swan", "Lark", "Holly", "Bramble", "Clover", "Aster", "Fern", "Silver Birch",
)  # fmt: skip
_NAME_SECOND = (
    "Lane", "Hall", "House", "Manor", "Barn", "Court", "Mill", "Grange", "Farm", "Park", "Vale",
    "Gardens", "Lodge", "Abbey", "Cottage", "Studio", "Works", "Collective", "& Co",
)  # fmt: skip
_TRADE_NAME = {
    "venue": "Weddings",
    "photographer": "Photography",
    "videographer": "Films",
    "florist": "Flowers",
    "caterer": "Catering",
    "band": "Band",
    "planner": "Events",
    "cake": "Cakes",
    "hair_makeup": "Bridal Beauty",
}
#: Before the first export the platform had been running for five years.
_PLATFORM_LAUNCH = dt.date(2019, 1, 1)
_LATEST_JOIN_BEFORE_AS_OF_DAYS = 60


def supplier_count(scale: float) -> int:
    """Suppliers at a scale: linear, with a floor so that every type and region is present."""
    return max(cal.MIN_SUPPLIERS, round(cal.SUPPLIERS_AT_SCALE_ONE * scale))


def _spread_then_weighted(
    rng: np.random.Generator, count: int, values: tuple[str, ...], share: dict[str, float]
) -> np.ndarray:
    """One of each value first (every type and region exists even at tiny scales), then by share."""
    weights = np.array([share[value] for value in values])
    drawn = rng.choice(len(values), size=count, p=weights / weights.sum())
    drawn[: min(count, len(values))] = np.arange(min(count, len(values)))
    return np.array(values, dtype=object)[drawn]


def make_suppliers(rng: np.random.Generator, scale: float, as_of: dt.date) -> pd.DataFrame:
    """Suppliers with typed columns, plus what the market knows and the exports do not:

    `popularity` (how much demand each one draws), `quality` (a standard-normal reputation
    that shows in its reviews and in how couples choose), `price_response` (its true slope of
    booking log-odds on budget fit, the truth price advice is judged against) and
    `weddings_per_date` (a venue one, a photographer one unless it has a second shooter).
    """
    count = supplier_count(scale)
    vendor_type = _spread_then_weighted(rng, count, VENDOR_TYPES, cal.SUPPLIER_TYPE_SHARE)
    region = _spread_then_weighted(rng, count, cal.REGIONS, cal.REGION_SHARE)
    band_share = np.array([cal.PRICE_BAND_SHARE[band] for band in cal.PRICE_BANDS])
    price_band = np.array(cal.PRICE_BANDS, dtype=object)[
        rng.choice(len(cal.PRICE_BANDS), size=count, p=band_share)
    ]
    typical_price = np.array([cal.BUDGET_SHARE[t] for t in vendor_type]) * cal.BUDGET_MEDIAN_GBP
    multiplier = np.array([cal.PRICE_BAND_MULTIPLIER[band] for band in price_band])
    base_price = np.round(typical_price * multiplier * rng.lognormal(0.0, 0.12, count) / 5) * 5

    capacity = np.clip(
        np.round(rng.lognormal(np.log(cal.VENUE_CAPACITY_MEDIAN), cal.VENUE_CAPACITY_SIGMA, count)),
        cal.VENUE_CAPACITY_MIN,
        cal.VENUE_CAPACITY_MAX,
    )
    capacity = np.where(vendor_type == "venue", capacity, np.nan)

    # The first supplier of each type was on the platform before the first export, so every
    # enquiry, however early, has a supplier of its type to go to.
    start = midnight(EXPORT_START_DATE)
    launch = midnight(_PLATFORM_LAUNCH)
    latest = midnight(as_of) - np.timedelta64(_LATEST_JOIN_BEFORE_AS_OF_DAYS, "D")
    early = rng.random(count) < cal.SUPPLIERS_BEFORE_START_SHARE
    early[: len(VENDOR_TYPES)] = True
    early_span = int((start - launch).astype(np.int64))
    late_span = int((latest - start).astype(np.int64))
    offsets = np.where(
        early,
        rng.integers(0, early_span, count),
        early_span + rng.integers(0, max(late_span, SECONDS_PER_DAY), count),
    )
    joined_at = launch + offsets.astype("timedelta64[s]")

    first = np.array(_NAME_FIRST, dtype=object)[rng.integers(0, len(_NAME_FIRST), count)]
    second = np.array(_NAME_SECOND, dtype=object)[rng.integers(0, len(_NAME_SECOND), count)]
    trade = np.array([_TRADE_NAME[t] for t in vendor_type], dtype=object)
    return pd.DataFrame(
        {
            "supplier_id": [f"sup_{number:06d}" for number in range(1, count + 1)],
            "business_name": first + " " + second + " " + trade,
            "vendor_type": vendor_type,
            "region": region,
            "price_band": price_band,
            "base_price_gbp": base_price,
            "capacity": capacity,
            "joined_at": joined_at,
            "popularity": rng.lognormal(0.0, 0.6, count),
            "quality": rng.standard_normal(count),
            "price_response": rng.lognormal(0.0, cal.PRICE_RESPONSE_SIGMA, count),
            "weddings_per_date": _weddings_per_date(rng, vendor_type),
        }
    )


def _weddings_per_date(rng: np.random.Generator, vendor_type: np.ndarray) -> np.ndarray:
    """How many weddings each supplier can serve on one date."""
    per_date = np.array([cal.WEDDINGS_PER_DATE[t] for t in vendor_type], dtype=np.int64)
    second_shooter = (vendor_type == "photographer") & (
        rng.random(len(vendor_type)) < cal.SECOND_SHOOTER_SHARE
    )
    return per_date + second_shooter
