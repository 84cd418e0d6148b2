"""Row-level mess in single values: money in the wrong unit or as text, swapped dates, local
times, unknown categories, payments and deposits larger than the booking."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd

from wedsync.messy_exports.picker import Picker, parse_timestamps

_UK = ZoneInfo("Europe/London")
_NEW_CHANNELS = ("tiktok", "instagram_ads", "Search", "wedding fair", "partner_api")


def _amounts(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce")


def budget_in_pence(picker: Picker, count: int) -> None:
    """Budgets multiplied by 100, still written as plain amounts."""
    enquiries = picker.history.frames["enquiries"]
    rows = picker.pick("enquiries", count, _amounts(enquiries["budget_gbp"]) > 0)
    pence = [f"{value * 100:.2f}" for value in _amounts(enquiries.loc[rows, "budget_gbp"])]
    enquiries.loc[rows, "budget_gbp"] = pence
    picker.history.touch("enquiries", enquiries.loc[rows, "_export_date"])
    picker.record("budget_in_pence", "enquiries", enquiries.loc[rows, "enquiry_id"], pence)


def _as_typed(budget: float, style: int) -> str:
    if style == 0:
        return f"£{round(budget / 1000)}k"
    if style == 1:
        return f"{budget:,.0f}"
    if style == 2:
        return f"£{budget:,.2f}"
    return f"{budget:.0f} GBP"


def budget_as_text(picker: Picker, count: int) -> None:
    """Budgets as a person types them: with £, thousands commas, 'k' or a currency code."""
    enquiries = picker.history.frames["enquiries"]
    rows = picker.pick("enquiries", count, _amounts(enquiries["budget_gbp"]) > 0)
    styles = picker.rng.integers(0, 4, len(rows))
    typed = [
        _as_typed(budget, int(style))
        for budget, style in zip(_amounts(enquiries.loc[rows, "budget_gbp"]), styles, strict=True)
    ]
    enquiries.loc[rows, "budget_gbp"] = typed
    picker.history.touch("enquiries", enquiries.loc[rows, "_export_date"])
    picker.record("budget_as_text", "enquiries", enquiries.loc[rows, "enquiry_id"], typed)


def day_month_swap(picker: Picker, count: int) -> None:
    """Wedding dates read the American way round (only dates whose day differs from month)."""
    enquiries = picker.history.frames["enquiries"]
    dates = pd.to_datetime(enquiries["wedding_date"], format="%Y-%m-%d", errors="coerce")
    rows = picker.pick("enquiries", count, dates.dt.day != dates.dt.month)
    chosen = dates.loc[rows]
    swapped = [f"{d.year:04d}-{d.day:02d}-{d.month:02d}" for d in chosen]
    detail = ["real date" if d.day <= 12 else "impossible date" for d in chosen]
    enquiries.loc[rows, "wedding_date"] = swapped
    picker.history.touch("enquiries", enquiries.loc[rows, "_export_date"])
    picker.record("day_month_swap", "enquiries", enquiries.loc[rows, "enquiry_id"], detail)


def _in_bst(moment: pd.Timestamp) -> bool:
    local = moment.tz_localize("UTC").tz_convert(_UK)
    return local.utcoffset() == dt.timedelta(hours=1)


def utc_bst_boundary_shift(picker: Picker, count: int) -> None:
    """Summer enquiries made in the last UTC hour of a day, written in UK local time.

    Half carry the '+01:00' offset (a correct time, but not the UTC the contract asks for);
    half are labelled 'Z' though they are local, an hour late, so their day passes midnight.
    """
    enquiries = picker.history.frames["enquiries"]
    created = parse_timestamps(enquiries["created_at"])
    late_hour = created.dt.hour == 23
    boundary = late_hour & pd.Series(
        [bool(hit) and _in_bst(moment) for hit, moment in zip(late_hour, created, strict=True)],
        index=enquiries.index,
    )
    rows = picker.pick("enquiries", count, boundary)
    local = created.loc[rows] + pd.Timedelta(hours=1)
    labelled = picker.rng.random(len(rows)) < 0.5
    text = [
        moment.strftime("%Y-%m-%dT%H:%M:%S") + ("+01:00" if offset else "Z")
        for moment, offset in zip(local, labelled, strict=True)
    ]
    enquiries.loc[rows, "created_at"] = text
    picker.history.touch("enquiries", enquiries.loc[rows, "_export_date"])
    detail = ["offset +01:00" if offset else "local time labelled Z" for offset in labelled]
    picker.record("utc_bst_boundary_shift", "enquiries", enquiries.loc[rows, "enquiry_id"], detail)


def new_enum_value(picker: Picker, count: int) -> None:
    """Channels the platform started sending without telling anyone (or re-spelt)."""
    enquiries = picker.history.frames["enquiries"]
    rows = picker.pick("enquiries", count)
    channels = list(picker.rng.choice(_NEW_CHANNELS, size=len(rows)))
    enquiries.loc[rows, "channel"] = channels
    picker.history.touch("enquiries", enquiries.loc[rows, "_export_date"])
    picker.record("new_enum_value", "enquiries", enquiries.loc[rows, "enquiry_id"], channels)


def _booking_totals(picker: Picker) -> pd.Series:
    bookings = picker.history.frames["bookings"]
    latest = bookings.sort_values("_export_date", kind="stable").drop_duplicates(
        "booking_id", keep="last"
    )
    return _amounts(latest.set_index("booking_id")["total_value_gbp"])


def payment_above_booking_value(picker: Picker, count: int) -> None:
    """Payments 1.1-3x the whole booking's value (a wrong unit, a double charge)."""
    payments = picker.history.frames["payments"]
    totals = payments["booking_id"].map(_booking_totals(picker))
    rows = picker.pick("payments", count, totals > 0)
    factor = picker.rng.uniform(1.1, 3.0, len(rows))
    amounts = [f"{value:.2f}" for value in totals.loc[rows].to_numpy() * factor]
    payments.loc[rows, "amount_gbp"] = amounts
    picker.history.touch("payments", payments.loc[rows, "_export_date"])
    picker.record(
        "payment_above_booking_value", "payments", payments.loc[rows, "payment_id"], amounts
    )


def deposit_above_total(picker: Picker, count: int) -> None:
    """Deposits above the booking's total value, on every exported row of the booking."""
    bookings = picker.history.frames["bookings"]
    confirmed = bookings["status"] == "confirmed"
    rows = picker.pick("bookings", count, confirmed & (_amounts(bookings["total_value_gbp"]) > 0))
    booking_ids = set(bookings.loc[rows, "booking_id"])
    every_row = bookings["booking_id"].isin(booking_ids)
    factor = pd.Series(picker.rng.uniform(1.05, 2.5, len(rows)), index=list(booking_ids))
    bookings.loc[every_row, "deposit_gbp"] = [
        f"{total * factor[booking]:.2f}"
        for total, booking in zip(
            _amounts(bookings.loc[every_row, "total_value_gbp"]),
            bookings.loc[every_row, "booking_id"],
            strict=True,
        )
    ]
    picker.taken.update(("bookings", booking) for booking in booking_ids)
    picker.history.touch("bookings", bookings.loc[every_row, "_export_date"])
    picker.record("deposit_above_total", "bookings", sorted(booking_ids))
