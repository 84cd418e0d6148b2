"""Synthetic enquiry history for demand-forecast tests: seasonal, growing, booked ahead.

Stands in for `marts.fct_enquiries`. Weddings peak in August; each vendor type is enquired
about a typical number of months ahead (venues ~13, photographers ~8, florists ~5), and some
enquiries are booked a while after they are made, so what is on the books for a future month
grows as it approaches, as on the real platform.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LEAD_MONTHS = {"venue": 13.0, "photographer": 8.0, "florist": 5.0}
REGIONS = {"london": 30.0, "wales": 12.0, "scotland": 18.0}
#: Relative weddings per calendar month, January .. December (August the top month).
SEASON = np.array([0.3, 0.35, 0.5, 0.7, 1.1, 1.4, 1.5, 1.6, 1.3, 0.8, 0.4, 0.5])
BOOKING_RATE = 0.3
MONTHLY_GROWTH = 0.01


def synthetic_demand_history(
    seed: int, start: str = "2024-01-01", months: int = 35
) -> pd.DataFrame:
    """Enquiries made in [start, start + months): `vendor_type, region, wedding_date,
    created_at, booked_at` (booked_at NaT when not booked before the end of the history)."""
    rng = np.random.default_rng(seed)
    history_start = pd.Timestamp(start)
    as_of = history_start + pd.DateOffset(months=months)
    wedding_months = pd.date_range(history_start, as_of + pd.DateOffset(months=30), freq="MS")
    frames = []
    for vendor_type, lead in LEAD_MONTHS.items():
        for region, base in REGIONS.items():
            for index, month in enumerate(wedding_months):
                expected = base * SEASON[month.month - 1] * (1 + MONTHLY_GROWTH) ** index
                count = rng.poisson(expected)
                wedding = month + pd.to_timedelta(rng.integers(0, 28, count), "D")
                lead_days = lead * 30.4 * rng.lognormal(0.0, 0.35, count)
                created = wedding - pd.to_timedelta(np.round(lead_days), "D")
                booked = rng.random(count) < BOOKING_RATE
                booked_at = created + pd.to_timedelta(
                    np.round(lead_days * rng.uniform(0.05, 0.5, count)), "D"
                )
                frames.append(
                    pd.DataFrame(
                        {
                            "vendor_type": vendor_type,
                            "region": region,
                            "wedding_date": wedding,
                            "created_at": created,
                            "booked_at": booked_at.where(booked & (booked_at < as_of)),
                        }
                    )
                )
    enquiries = pd.concat(frames, ignore_index=True)
    made = (enquiries["created_at"] >= history_start) & (enquiries["created_at"] < as_of)
    return enquiries[made].reset_index(drop=True)


def synthetic_climate_normals() -> pd.DataFrame:
    """`region, month, rain_days, mean_temp_c` for the synthetic regions (no effect on demand)."""
    months = np.arange(1, 13)
    warmth = -np.cos((months - 1) / 12 * 2 * np.pi)
    return pd.DataFrame(
        [
            {
                "region": region,
                "month": int(month),
                "rain_days": round(14 - 3 * w + offset, 1),
                "mean_temp_c": round(9 + 6 * w - offset / 2, 1),
            }
            for offset, region in enumerate(REGIONS)
            for month, w in zip(months, warmth, strict=True)
        ]
    )
