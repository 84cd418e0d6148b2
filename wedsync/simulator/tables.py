"""Typed simulation frames turned into export rows: text columns in `RAW_TABLES` order, plus
the export date each row belongs to (docs/internals.md, "Landing zone")."""

from __future__ import annotations

import numpy as np
import pandas as pd

from wedsync.exports import EXPORT_START_DATE
from wedsync.simulator.formats import integers, iso_dates, iso_timestamps, money
from wedsync.simulator.timeline import day, to_day
from wedsync.warehouse.schema import RAW_TABLES

EXPORT_DATE = "_export_date"


def _export_rows(
    entity: str, columns: dict[str, np.ndarray], export_on: np.ndarray
) -> pd.DataFrame:
    """Columns in the raw table's order plus the export date, sorted by export date (stable)."""
    frame = pd.DataFrame({name: columns[name] for name in RAW_TABLES[entity].columns})
    frame[EXPORT_DATE] = to_day(export_on)
    return frame.sort_values(EXPORT_DATE, kind="stable").reset_index(drop=True)


def _with_defects(frame: pd.DataFrame, column: str, text: np.ndarray) -> np.ndarray:
    """The clean text of `column`, with each defective row's injected value in its place."""
    hit = (frame["defect_column"] == column).to_numpy()
    text = text.copy()
    text[hit] = frame["defect_value"].to_numpy()[hit]
    return text


def supplier_rows(suppliers: pd.DataFrame) -> pd.DataFrame:
    """Suppliers, exported on joining (or on the first export date if they joined before it)."""
    joined_at = suppliers["joined_at"].to_numpy()
    return _export_rows(
        "suppliers",
        {
            "supplier_id": suppliers["supplier_id"].to_numpy(),
            "business_name": suppliers["business_name"].to_numpy(),
            "vendor_type": suppliers["vendor_type"].to_numpy(),
            "region": suppliers["region"].to_numpy(),
            "price_band": suppliers["price_band"].to_numpy(),
            "base_price_gbp": money(suppliers["base_price_gbp"].to_numpy()),
            "capacity": integers(suppliers["capacity"].to_numpy()),
            "joined_at": iso_timestamps(joined_at),
        },
        np.maximum(joined_at, day(EXPORT_START_DATE).astype("datetime64[s]")),
    )


def couple_rows(couples: pd.DataFrame) -> pd.DataFrame:
    """Couples, exported on signing up."""
    signed_up_at = couples["signed_up_at"].to_numpy()
    return _export_rows(
        "couples",
        {
            "couple_id": couples["couple_id"].to_numpy(),
            "partner_one_name": couples["partner_one_name"].to_numpy(),
            "partner_two_name": couples["partner_two_name"].to_numpy(),
            "email": couples["email"].to_numpy(),
            "region": couples["region"].to_numpy(),
            "signed_up_at": iso_timestamps(signed_up_at),
        },
        signed_up_at,
    )


def enquiry_rows(enquiries: pd.DataFrame) -> pd.DataFrame:
    """Enquiries (defects included), exported on the day they were made."""
    created_at = enquiries["created_at"].to_numpy()
    return _export_rows(
        "enquiries",
        {
            "enquiry_id": enquiries["enquiry_id"].to_numpy(),
            "supplier_id": enquiries["supplier_id"].to_numpy(),
            "couple_id": enquiries["couple_id"].to_numpy(),
            "created_at": iso_timestamps(created_at),
            "wedding_date": _with_defects(
                enquiries, "wedding_date", iso_dates(enquiries["wedding_date"].to_numpy())
            ),
            "guest_count": _with_defects(
                enquiries, "guest_count", integers(enquiries["guest_count"].to_numpy())
            ),
            "budget_gbp": _with_defects(
                enquiries, "budget_gbp", money(enquiries["budget_gbp"].to_numpy())
            ),
            "channel": enquiries["channel"].to_numpy(),
            "first_response_at": iso_timestamps(enquiries["first_response_at"].to_numpy()),
        },
        created_at,
    )


def booking_rows(bookings: pd.DataFrame, as_of_at: np.datetime64) -> pd.DataFrame:
    """Each booking on its booking day as `confirmed`, and again on its cancellation day as
    `cancelled` when that is before `as_of`."""

    def rows(chosen: pd.DataFrame, status: str, cancelled_at: np.ndarray) -> dict[str, np.ndarray]:
        return {
            "booking_id": chosen["booking_id"].to_numpy(),
            "enquiry_id": chosen["enquiry_id"].to_numpy(),
            "supplier_id": chosen["supplier_id"].to_numpy(),
            "couple_id": chosen["couple_id"].to_numpy(),
            "status": np.full(len(chosen), status, dtype=object),
            "booked_at": iso_timestamps(chosen["booked_at"].to_numpy()),
            "cancelled_at": iso_timestamps(cancelled_at),
            "wedding_date": _with_defects(
                chosen, "wedding_date", iso_dates(chosen["wedding_date"].to_numpy())
            ),
            "total_value_gbp": money(chosen["total_value_gbp"].to_numpy()),
            "deposit_gbp": money(chosen["deposit_gbp"].to_numpy()),
        }

    not_cancelled = np.full(len(bookings), np.datetime64("NaT", "s"))
    confirmed = _export_rows(
        "bookings", rows(bookings, "confirmed", not_cancelled), bookings["booked_at"].to_numpy()
    )
    cancelled = bookings[bookings["cancelled_at"].to_numpy() < as_of_at]
    cancelled_at = cancelled["cancelled_at"].to_numpy()
    cancellations = _export_rows(
        "bookings", rows(cancelled, "cancelled", cancelled_at), cancelled_at
    )
    return (
        pd.concat([confirmed, cancellations], ignore_index=True)
        .sort_values(EXPORT_DATE, kind="stable")
        .reset_index(drop=True)
    )


def payment_rows(payments: pd.DataFrame) -> pd.DataFrame:
    """Payments, exported on the day they were paid."""
    paid_at = payments["paid_at"].to_numpy()
    return _export_rows(
        "payments",
        {
            "payment_id": payments["payment_id"].to_numpy(),
            "booking_id": payments["booking_id"].to_numpy(),
            "supplier_id": payments["supplier_id"].to_numpy(),
            "paid_at": iso_timestamps(paid_at),
            "payment_type": payments["payment_type"].to_numpy(),
            "amount_gbp": money(payments["amount_gbp"].to_numpy()),
        },
        paid_at,
    )


def review_rows(reviews: pd.DataFrame) -> pd.DataFrame:
    """Reviews, exported on the day they were posted."""
    posted_at = reviews["posted_at"].to_numpy()
    return _export_rows(
        "reviews",
        {
            "review_id": reviews["review_id"].to_numpy(),
            "booking_id": reviews["booking_id"].to_numpy(),
            "supplier_id": reviews["supplier_id"].to_numpy(),
            "couple_id": reviews["couple_id"].to_numpy(),
            "posted_at": iso_timestamps(posted_at),
            "rating": integers(reviews["rating"].to_numpy()),
        },
        posted_at,
    )
