"""Known defects injected into otherwise clean exports, each recorded for the truth file.

A defective row carries exactly one defect, described by three columns added to the entity's
frame: `defect_type`, `defect_column` and `defect_value` (the text written instead of the clean
value). Defective enquiries never book, so a quality rule that quarantines them hides nothing
from the marts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wedsync.simulator.config import DefectRates
from wedsync.simulator.timeline import SECONDS_PER_DAY, to_day

_BAD_GUEST_COUNTS = ("-4", "-1", "0", "601", "750", "5000")
_BAD_BUDGETS = ("-100.00", "0.00", "950.00", "250050.00", "999999.00")
#: Month-day pairs no calendar has; `{year}` is the wedding's real year.
_IMPOSSIBLE_DAYS = ("02-30", "02-31", "04-31", "06-31", "09-31", "11-31", "13-01", "00-10")
_MAX_GUESTS = 600
_DUPLICATE_DELAY_SECONDS = (3_600, 7 * SECONDS_PER_DAY)


def _count(rate: float, rows: int, rng: np.random.Generator) -> int:
    """Defects of one type for a table of `rows` rows: the rate, rounded at random."""
    expected = rate * rows
    return int(expected) + int(rng.random() < expected - int(expected))


def _mark(
    frame: pd.DataFrame, rows: np.ndarray, defect_type: str, column: str, values: list[str]
) -> None:
    frame.loc[rows, "defect_type"] = defect_type
    frame.loc[rows, "defect_column"] = column
    frame.loc[rows, "defect_value"] = values


def _no_defect_columns(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(
        defect_type=pd.Series(None, index=frame.index, dtype=object),
        defect_column=pd.Series(None, index=frame.index, dtype=object),
        defect_value=pd.Series(None, index=frame.index, dtype=object),
    )


def inject_enquiry_defects(
    rng: np.random.Generator,
    enquiries: pd.DataFrame,
    capacity: np.ndarray,
    rates: DefectRates,
    as_of_at: np.datetime64,
) -> pd.DataFrame:
    """Damage a few clean enquiries in place and append duplicate enquiries.

    Defective and duplicate rows never book. `capacity` is indexed by the enquiry's supplier.
    """
    enquiries = _no_defect_columns(enquiries.reset_index(drop=True))
    total = len(enquiries)
    order = rng.permutation(total)
    taken = 0

    def take(defect_type: str) -> np.ndarray:
        nonlocal taken
        rows = order[taken : taken + _count(rates.rate(defect_type), total, rng)]
        taken += len(rows)
        return np.sort(rows)

    rows = take("invalid_wedding_date")
    wedding_dates = enquiries.loc[rows, "wedding_date"].to_numpy()
    years = wedding_dates.astype("datetime64[Y]").astype(np.int64) + 1970
    days = rng.choice(_IMPOSSIBLE_DAYS, size=len(rows))
    impossible = [f"{year}-{day}" for year, day in zip(years, days, strict=True)]
    _mark(enquiries, rows, "invalid_wedding_date", "wedding_date", impossible)

    rows = take("guest_count_out_of_range")
    bad_guests = list(rng.choice(_BAD_GUEST_COUNTS, size=len(rows)))
    _mark(enquiries, rows, "guest_count_out_of_range", "guest_count", bad_guests)

    rows = take("budget_out_of_range")
    bad_budgets = list(rng.choice(_BAD_BUDGETS, size=len(rows)))
    _mark(enquiries, rows, "budget_out_of_range", "budget_gbp", bad_budgets)

    # Over capacity: only venues (the others have no capacity) that seat fewer than 600.
    remaining = order[taken:]
    overfillable = remaining[capacity[enquiries["supplier"].to_numpy()[remaining]] < _MAX_GUESTS]
    rows = np.sort(overfillable[: _count(rates.guest_count_over_capacity, total, rng)])
    seats = capacity[enquiries["supplier"].to_numpy()[rows]].astype(np.int64)
    overfull = [str(guests) for guests in rng.integers(seats + 1, _MAX_GUESTS + 1)]
    _mark(enquiries, rows, "guest_count_over_capacity", "guest_count", overfull)

    enquiries.loc[enquiries["defect_type"].notna(), "booked"] = False
    return pd.concat([enquiries, _duplicates(rng, enquiries, rates, as_of_at)], ignore_index=True)


def _duplicates(
    rng: np.random.Generator, enquiries: pd.DataFrame, rates: DefectRates, as_of_at: np.datetime64
) -> pd.DataFrame:
    """Copies of clean enquiries, sent again later (same supplier, couple and wedding date).

    `duplicate_of` holds the original's row, so the truth file can name it.

    The copy must still be a valid enquiry in every other way: made before `as_of` and no
    later than the wedding day, so the duplicate is its only defect.
    """
    low, high = _DUPLICATE_DELAY_SECONDS
    delay = rng.integers(low, high, len(enquiries)).astype("timedelta64[s]")
    again_at = enquiries["created_at"].to_numpy() + delay
    eligible = np.flatnonzero(
        enquiries["defect_type"].isna().to_numpy()
        & (again_at < as_of_at)
        & (to_day(again_at) <= enquiries["wedding_date"].to_numpy())
    )
    count = _count(rates.duplicate_enquiry, len(enquiries), rng)
    rows = np.sort(rng.choice(eligible, size=min(count, len(eligible)), replace=False))
    copies = enquiries.iloc[rows].copy()
    copies["created_at"] = again_at[rows]
    copies["first_response_at"] = np.datetime64("NaT", "s")
    copies["responded"] = False
    copies["booked"] = False
    copies["defect_type"] = "duplicate_enquiry"
    copies["duplicate_of"] = rows
    return copies


def mark_booking_defects(
    rng: np.random.Generator, bookings: pd.DataFrame, rates: DefectRates
) -> pd.DataFrame:
    """Date a few exported bookings' weddings 1-60 days before their booking.

    The frame keeps the true wedding date (payments and reviews follow it); the defective
    date is what the export carries, on the confirmed and on any cancelled row.
    """
    bookings = _no_defect_columns(bookings)
    count = _count(rates.booking_after_wedding, len(bookings), rng)
    rows = np.sort(rng.choice(len(bookings), size=min(count, len(bookings)), replace=False))
    booked_on = to_day(bookings["booked_at"].to_numpy()[rows])
    earlier = booked_on - rng.integers(1, 61, len(rows)).astype("timedelta64[D]")
    dated = list(np.datetime_as_string(earlier, unit="D"))
    _mark(bookings, rows, "booking_after_wedding", "wedding_date", dated)
    return bookings
