"""The conversion rate and its 95% Wilson interval: the one Python definition.

The API (`serving`), the price advice (`ml.pricing`) and the dashboard (through the API) all
report conversion as dbt's `rate` and `wilson_bound` macros (`dbt_project/macros/conversion.sql`)
compute it in the marts: z = 1.96 and 4 decimals, NULL/None without trials. Keeping the Python
side in one module, rounded like the macros, means a figure the API computes (a weekly roll-up,
a supplier's totals) equals the one a mart would hold for the same counts.
"""

from __future__ import annotations

import math
from typing import Any

#: As `dbt_project/macros/conversion.sql`: the 95% normal quantile to two decimals.
Z_95 = 1.96
DECIMALS = 4


def conversion_rate(successes: float, trials: float) -> float | None:
    """`successes / trials` to 4 decimals; None without trials (dbt's `rate`)."""
    if trials <= 0:
        return None
    return round(successes / trials, DECIMALS)


def wilson_interval(successes: float, trials: float, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of `successes / trials` to 4 decimals; None without trials.

    Wilson rather than the normal approximation: suppliers often have a handful of enquiries
    in a month, where `p ± z·sqrt(p(1-p)/n)` leaves [0, 1] or collapses to a point. With no
    successes the lower bound is 0 analytically, but float error rounds it to `-0.0` for some
    trials (5, 10, 15...): `max` keeps that out of the JSON answers.
    """
    if trials <= 0:
        return None
    p = successes / trials
    z2 = z * z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / (1 + z2 / trials)
    return max(0.0, round(centre - half, DECIMALS)), round(centre + half, DECIMALS)


def with_conversion(row: dict[str, Any], successes: str, trials: str) -> dict[str, Any]:
    """`row` plus `conversion_rate` and its interval (`conversion_ci_low`, `_high`), as the
    marts name them; the counts are read from the columns `successes` and `trials`."""
    booked, asked = float(row[successes] or 0), float(row[trials] or 0)
    row["conversion_rate"] = conversion_rate(booked, asked)
    row["conversion_ci_low"], row["conversion_ci_high"] = wilson_interval(booked, asked) or (
        None,
        None,
    )
    return row
