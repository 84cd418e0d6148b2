"""Confidence intervals for the rates the API reports, matching dbt's `wilson_bound` macro."""

from __future__ import annotations

import math
from typing import Any

#: As `dbt_project/macros/conversion.sql` (z = 1.96, 4 decimals), so API and marts agree.
Z_95 = 1.96
DECIMALS = 4


def wilson_interval(successes: float, trials: float, z: float = Z_95) -> tuple[float, float] | None:
    """The 95% Wilson score interval of `successes / trials`; None without trials.

    Wilson rather than the normal approximation: suppliers often have a handful of enquiries
    in a week, where `p ± z·sqrt(p(1-p)/n)` leaves [0, 1] or collapses to a point.
    """
    if trials <= 0:
        return None
    p = successes / trials
    z2 = z * z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / (1 + z2 / trials)
    return round(centre - half, DECIMALS), round(centre + half, DECIMALS)


def with_conversion(row: dict[str, Any], successes: str, trials: str) -> dict[str, Any]:
    """`row` plus `conversion_rate` (`successes / trials`) and its 95% Wilson interval."""
    booked, asked = float(row[successes] or 0), float(row[trials] or 0)
    interval = wilson_interval(booked, asked)
    row["conversion_rate"] = round(booked / asked, DECIMALS) if interval else None
    row["conversion_ci_low"], row["conversion_ci_high"] = interval or (None, None)
    return row
