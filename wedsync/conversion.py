"""The conversion rate and its 95% Wilson interval: the one Python definition.

The API (`serving`), the price advice (`ml.pricing`) and the dashboard (through the API) all
report conversion as dbt's `rate` and `wilson_bound` macros (`dbt_project/macros/conversion.sql`)
compute it in the marts: z = 1.96, 4 decimals, None (NULL) without trials. The arithmetic is
decimal and rounds half away from zero, as Postgres rounds a numeric: with floats and Python's
`round` (half to even, on the binary value) 1 booking in 32 enquiries would be 0.0312 here and
0.0313 in the mart. So a figure the API computes (a weekly roll-up, a supplier's totals) equals
the one a mart holds for the same counts.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

#: As `dbt_project/macros/conversion.sql`: the 95% normal quantile to two decimals.
Z_95 = Decimal("1.96")
_PLACES = Decimal("0.0001")  # 4 decimals, as the macros round


def _rounded(value: Decimal) -> float:
    return float(value.quantize(_PLACES, rounding=ROUND_HALF_UP))


def conversion_rate(successes: int, trials: int) -> float | None:
    """`successes / trials` to 4 decimals; None without trials (dbt's `rate`)."""
    if trials <= 0:
        return None
    return _rounded(Decimal(successes) / Decimal(trials))


def wilson_interval(successes: int, trials: int, z: Decimal = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of `successes / trials` to 4 decimals; None without trials.

    Wilson rather than the normal approximation: suppliers often have a handful of enquiries
    in a month, where `p ± z·sqrt(p(1-p)/n)` leaves [0, 1] or collapses to a point. With no
    successes the lower bound is 0, but the rounded square root can leave it a hair below:
    `max` keeps `-0.0` out of the answers (Postgres's numeric has no negative zero).
    """
    if trials <= 0:
        return None
    n = Decimal(trials)
    p = Decimal(successes) / n
    z2 = z * z
    centre = p + z2 / (2 * n)
    spread = z * (p * (1 - p) / n + z2 / (4 * n * n)).sqrt()
    scale = 1 + z2 / n
    return max(0.0, _rounded((centre - spread) / scale)), _rounded((centre + spread) / scale)


def with_conversion(row: dict[str, Any], successes: str, trials: str) -> dict[str, Any]:
    """`row` plus `conversion_rate` and its interval (`conversion_ci_low`, `_high`), as the
    marts name them; the counts are read from the columns `successes` and `trials`."""
    booked, asked = int(row[successes] or 0), int(row[trials] or 0)
    row["conversion_rate"] = conversion_rate(booked, asked)
    row["conversion_ci_low"], row["conversion_ci_high"] = wilson_interval(booked, asked) or (
        None,
        None,
    )
    return row
