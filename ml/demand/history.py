"""Enquiries as demand history: what was on the books for each wedding month, and when.

Months are integers (`year * 12 + month - 1`) so "12 months earlier" is plain subtraction.
A forecast made at origin month `T` knows every enquiry created, and every booking confirmed,
before the first day of `T`; it forecasts wedding months `T .. T + 11` (horizon 1 .. 12).
A wedding month is complete once it is over: every enquiry and booking for a wedding comes
before it, so months before the newest enquiry's month hold their final counts.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import psycopg

from ml.demand.completeness import completed, lead_profile, visible_share

SEGMENT = ["vendor_type", "region"]
TARGETS = ("enquiries", "bookings")
HORIZON_MONTHS = 12
ENQUIRIES_SOURCE = "marts.fct_enquiries"


def month_index(timestamps: pd.Series) -> pd.Series:
    """Month number (`year * 12 + month - 1`) of each timestamp or date; <NA> for missing."""
    stamps = pd.to_datetime(timestamps)
    return (stamps.dt.year * 12 + stamps.dt.month - 1).astype("Int64")


def month_start(index: int) -> dt.date:
    """The first day of month number `index`."""
    return dt.date(index // 12, index % 12 + 1, 1)


def read_enquiry_history(conn: psycopg.Connection) -> pd.DataFrame:
    """Every dated enquiry: segment, wedding month, month created, month booked (if ever).

    Cancelled bookings count as bookings, as in `marts.seasonal_bookings`: the couple did book.
    """
    rows = conn.execute(
        "select vendor_type, region, wedding_date, created_at, booked_at "
        f"from {ENQUIRIES_SOURCE} "
        "where wedding_date is not null and vendor_type is not null and region is not null"
    ).fetchall()
    raw = pd.DataFrame(rows, columns=[*SEGMENT, "wedding_date", "created_at", "booked_at"])
    return enquiry_months(raw)


def enquiry_months(enquiries: pd.DataFrame) -> pd.DataFrame:
    """`vendor_type, region, wedding_m, created_m, booked_m` from dated enquiry rows."""
    dated = enquiries[enquiries["wedding_date"].notna() & enquiries["created_at"].notna()]
    return pd.DataFrame(
        {
            "vendor_type": dated["vendor_type"].astype(str),
            "region": dated["region"].astype(str),
            "wedding_m": month_index(dated["wedding_date"]).astype("int64"),
            "created_m": month_index(dated["created_at"]).astype("int64"),
            "booked_m": month_index(dated["booked_at"]),
        }
    )


def _segment_grid(enquiries: pd.DataFrame, months: np.ndarray) -> pd.DataFrame:
    segments = enquiries[SEGMENT].drop_duplicates().sort_values(SEGMENT)
    return segments.merge(pd.DataFrame({"month": months}), how="cross")


def final_counts(enquiries: pd.DataFrame) -> pd.DataFrame:
    """Per segment and wedding month: all enquiries and bookings ever made for it (zeros kept)."""
    months = np.arange(enquiries["wedding_m"].min(), enquiries["wedding_m"].max() + 1)
    counted = (
        enquiries.assign(booked=enquiries["booked_m"].notna())
        .groupby([*SEGMENT, "wedding_m"], as_index=False)
        .agg(enquiries=("created_m", "size"), bookings=("booked", "sum"))
        .rename(columns={"wedding_m": "month"})
    )
    grid = _segment_grid(enquiries, months)
    finals = grid.merge(counted, on=[*SEGMENT, "month"], how="left")
    return finals.fillna({"enquiries": 0, "bookings": 0}).astype(
        {"enquiries": "float64", "bookings": "float64"}
    )


def on_the_books(enquiries: pd.DataFrame, origin: int) -> pd.DataFrame:
    """At `origin`: each segment's wedding months `origin .. origin + 11` and what was known.

    Columns: segment, `month`, `horizon` (1 .. 12), `origin`, `enquiries_on_books` (enquiries
    created before the origin) and `bookings_on_books` (bookings confirmed before it).
    """
    months = np.arange(origin, origin + HORIZON_MONTHS)
    ahead = enquiries[enquiries["wedding_m"].isin(months) & (enquiries["created_m"] < origin)]
    counted = (
        ahead.assign(booked=ahead["booked_m"].lt(origin).fillna(False))
        .groupby([*SEGMENT, "wedding_m"], as_index=False)
        .agg(enquiries_on_books=("created_m", "size"), bookings_on_books=("booked", "sum"))
        .rename(columns={"wedding_m": "month"})
    )
    snapshot = _segment_grid(enquiries, months).merge(counted, on=[*SEGMENT, "month"], how="left")
    snapshot = snapshot.fillna({"enquiries_on_books": 0, "bookings_on_books": 0}).astype(
        {"enquiries_on_books": "float64", "bookings_on_books": "float64"}
    )
    return snapshot.assign(horizon=snapshot["month"] - origin + 1, origin=origin)


def forecast_rows(enquiries: pd.DataFrame, origins: list[int]) -> pd.DataFrame:
    """Snapshots at every origin, with last year's final counts and, where known, this year's.

    `enquiries_last_year_recorded` / `bookings_last_year_recorded` are the counts recorded for
    the same wedding month a year earlier (NaN before the history starts);
    `enquiries_last_year` / `bookings_last_year` are those counts completed for the enquiries
    made before the history began, with the lead-time profile known at each origin
    (`ml.demand.completeness`): the seasonal-naive forecast. The actual `enquiries` /
    `bookings` are filled only for complete months (before the newest month).
    """
    finals = final_counts(enquiries)
    first_month, newest_month = history_span(enquiries)
    last_year = finals.assign(month=finals["month"] + 12).rename(
        columns={target: f"{target}_last_year_recorded" for target in TARGETS}
    )
    last_year = last_year[last_year["month"] - 12 >= first_month]
    snapshots = [
        _with_completed_last_year(
            on_the_books(enquiries, origin).merge(last_year, on=[*SEGMENT, "month"], how="left"),
            lead_profile(enquiries, first_month, origin),
            first_month,
        )
        for origin in origins
    ]
    rows = pd.concat(snapshots).merge(
        finals[finals["month"] < newest_month], on=[*SEGMENT, "month"], how="left"
    )
    return rows.reset_index(drop=True)


def _with_completed_last_year(
    snapshot: pd.DataFrame, profile: pd.DataFrame, first: int
) -> pd.DataFrame:
    year_ago = snapshot.assign(month=snapshot["month"] - 12)
    share = visible_share(profile, year_ago, first)
    return snapshot.assign(
        **{
            f"{target}_last_year": completed(
                snapshot[f"{target}_last_year_recorded"].to_numpy(dtype=float), share
            )
            for target in TARGETS
        }
    )


def history_span(enquiries: pd.DataFrame) -> tuple[int, int]:
    """(first month with enquiries, newest month with enquiries, which is incomplete)."""
    return int(enquiries["created_m"].min()), int(enquiries["created_m"].max())
