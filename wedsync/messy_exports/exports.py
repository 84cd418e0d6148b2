"""Mess in how nights are delivered: late, out of order, duplicated, cut short, truncated in
transfer, or with a renamed column."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from wedsync.messy_exports.history import EXPORT_DATE
from wedsync.messy_exports.picker import Picker

#: Share of a truncated file's bytes that arrive.
TRUNCATED_SHARE = 0.6


def _nights_later(picker: Picker, nights: pd.Series, low: int, high: int) -> pd.Series:
    """Each night moved `low..high` nights later; None where that night is not in the history."""
    shift = picker.rng.integers(low, high + 1, len(nights))
    known = picker.nights()
    later = [
        night + dt.timedelta(days=int(days)) for night, days in zip(nights, shift, strict=True)
    ]
    return pd.Series([night if night in known else None for night in later], index=nights.index)


def late_export(picker: Picker, count: int) -> None:
    """Enquiries held back and exported 2-6 nights after the night they were made."""
    enquiries = picker.history.frames["enquiries"]
    later = _nights_later(picker, enquiries[EXPORT_DATE], 2, 6)
    mask = later.notna() & ~later.map(lambda night: ("enquiries", night) in picker.reserved)
    rows = picker.pick("enquiries", count, mask)
    picker.history.touch("enquiries", enquiries.loc[rows, EXPORT_DATE])
    enquiries.loc[rows, EXPORT_DATE] = later.loc[rows]
    picker.history.touch("enquiries", later.loc[rows])
    nights = [f"exported {night}" for night in later.loc[rows]]
    picker.record("late_export", "enquiries", enquiries.loc[rows, "enquiry_id"], nights)


def out_of_order_export(picker: Picker, count: int) -> None:
    """A cancelled booking's stale 'confirmed' row exported 1-3 nights after its cancellation.

    The newest export of a booking is the one staging keeps, so the cancellation is lost.
    """
    bookings = picker.history.frames["bookings"]
    later = _nights_later(picker, bookings[EXPORT_DATE], 1, 3)
    rows = picker.pick("bookings", count, (bookings["status"] == "cancelled") & later.notna())
    resent_on = pd.Series(later.loc[rows].to_numpy(), index=bookings.loc[rows, "booking_id"])
    confirmed = bookings[
        (bookings["status"] == "confirmed") & bookings["booking_id"].isin(resent_on.index)
    ]
    stale = confirmed.drop_duplicates("booking_id", keep="last").copy()
    stale[EXPORT_DATE] = stale["booking_id"].map(resent_on).to_numpy()
    picker.append("bookings", stale)
    picker.record("out_of_order_export", "bookings", stale["booking_id"])


def duplicated_file(picker: Picker) -> None:
    """One night's enquiries file sent again ahead of the next night's own rows."""
    night = picker.pick_night("enquiries", next_night_too=True)
    enquiries = picker.history.frames["enquiries"]
    again = enquiries[enquiries[EXPORT_DATE] == night].copy()
    again[EXPORT_DATE] = night + dt.timedelta(days=1)
    picker.taken.update(("enquiries", key) for key in again["enquiry_id"])
    frame = pd.concat([again, enquiries], ignore_index=True)
    picker.history.frames["enquiries"] = frame
    picker.history.touch("enquiries", [night + dt.timedelta(days=1)])
    # A row the simulator damaged is re-sent too, but it is scored as its own defect.
    resent = [key for key in again["enquiry_id"] if ("enquiries", key) not in picker.injected]
    picker.record("duplicated_file", "enquiries", resent, f"night of {night}")


def export_cut_between_rows(picker: Picker) -> None:
    """A night's enquiries export that stopped half-way: its later rows never written."""
    night = picker.pick_night("enquiries")
    enquiries = picker.history.frames["enquiries"]
    of_night = enquiries.index[enquiries[EXPORT_DATE] == night]
    lost = of_night[len(of_night) // 2 :]
    lost_ids = set(enquiries.loc[lost, "enquiry_id"])
    picker.record("export_cut_between_rows", "enquiries", sorted(lost_ids), f"night of {night}")
    picker.history.frames["enquiries"] = enquiries.drop(index=lost)
    picker.history.touch("enquiries", [night])
    # Their bookings now point at enquiries the warehouse never saw: the only trace left.
    bookings = picker.history.frames["bookings"]
    orphans = bookings.loc[bookings["enquiry_id"].isin(lost_ids), "booking_id"].unique()
    picker.taken.update(("bookings", booking) for booking in orphans)
    picker.record("export_cut_between_rows", "bookings", orphans, "booking of a lost enquiry")


def truncated_file(picker: Picker) -> None:
    """A night's payments file whose last bytes never arrived."""
    night = picker.pick_night("payments")
    picker.history.truncated[("payments", night)] = TRUNCATED_SHARE
    picker.history.touch("payments", [night])
    picker.record("truncated_file", "payments", None, f"{TRUNCATED_SHARE:.0%} of bytes", night)


def renamed_column(picker: Picker) -> None:
    """A night's payments file with `amount_gbp` renamed to `amount`."""
    night = picker.pick_night("payments")
    picker.history.renamed[("payments", night)] = ("amount_gbp", "amount")
    picker.history.touch("payments", [night])
    picker.record("renamed_column", "payments", None, "amount_gbp -> amount", night)
