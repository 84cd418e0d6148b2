"""Calendar helpers: the simulated wedding calendar, and time as numpy datetime64 values.

The whole simulation works on numpy `datetime64[s]` timestamps (UTC) and `datetime64[D]` dates,
so a year of enquiries is built with array arithmetic rather than Python loops.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from wedsync.simulator.calibration import WEDDING_MONTH_SHARE, WEDDING_WEEKDAY_SHARE

SECONDS_PER_DAY = 86_400


def day(value: dt.date) -> np.datetime64:
    """A date as a numpy day."""
    return np.datetime64(value.isoformat(), "D")


def midnight(value: dt.date) -> np.datetime64:
    """The first second of a date (UTC) as a numpy timestamp."""
    return np.datetime64(value.isoformat(), "D").astype("datetime64[s]")


def months_of(days: np.ndarray) -> np.ndarray:
    """Calendar month (1..12) of each day."""
    return days.astype("datetime64[M]").astype(np.int64) % 12 + 1


def weekdays_of(days: np.ndarray) -> np.ndarray:
    """Weekday (Monday = 0) of each day; 1970-01-01 was a Thursday."""
    return (days.astype("datetime64[D]").astype(np.int64) + 3) % 7


def to_day(timestamps: np.ndarray) -> np.ndarray:
    """The UTC date of each timestamp."""
    return timestamps.astype("datetime64[D]")


def wedding_day_weights(first: np.datetime64, last: np.datetime64) -> tuple[np.ndarray, np.ndarray]:
    """Every day in [first, last] and its probability of being a wedding day.

    A day's weight is its month's share spread over the month's days, times its weekday's
    share relative to an even week, so the simulated calendar reproduces both the monthly
    and the weekday shares of the calibration.
    """
    days = np.arange(first, last + np.timedelta64(1, "D"), dtype="datetime64[D]")
    months = months_of(days)
    month_share = np.array([WEDDING_MONTH_SHARE[m] for m in range(1, 13)])
    weekday_share = np.array([WEDDING_WEEKDAY_SHARE[w] for w in range(7)])
    month_starts = days.astype("datetime64[M]")
    days_in_month = (
        (month_starts + np.timedelta64(1, "M")).astype("datetime64[D]")
        - month_starts.astype("datetime64[D]")
    ).astype(np.int64)
    weights = month_share[months - 1] / days_in_month * 7 * weekday_share[weekdays_of(days)]
    return days, weights / weights.sum()
