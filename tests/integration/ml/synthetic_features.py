"""The dbt tables the ML assets read, and the truth file, written from synthetic enquiries.

Lets the ML assets run against a throwaway database before (and independently of) dbt:
`features.ml_booking_features`, and a `marts.vendor_performance` whose bookings and revenue
follow from the same enquiries (each booking worth `BOOKING_VALUE_SHARE` of the budget).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import psycopg

BOOKING_VALUE_SHARE = 0.25

FEATURES_DDL = """
create schema if not exists features;
drop table if exists features.ml_booking_features;
create table features.ml_booking_features (
    enquiry_id text primary key, supplier_id text, couple_id text, enquiry_date date,
    vendor_type text, region text, price_band text, channel text, lead_time_days integer,
    guest_count integer, budget_gbp numeric(12, 2), budget_to_price_ratio double precision,
    first_response_hours double precision, responded boolean, wedding_month integer,
    is_peak_season boolean, is_saturday boolean, wedding_month_rain_days double precision,
    wedding_month_mean_temp_c double precision, supplier_date_bookings integer,
    couple_prior_enquiries integer, couple_booked_vendor_type boolean, outcome text,
    booked integer, days_to_booking integer
);
"""

VENDOR_PERFORMANCE_DDL = """
create schema if not exists marts;
drop table if exists marts.vendor_performance;
create table marts.vendor_performance (
    supplier_id text, month date, vendor_type text, region text, price_band text,
    enquiries bigint, bookings bigint, revenue_gbp numeric,
    primary key (supplier_id, month)
);
"""


def _copy_frame(database_url: str, ddl: str, table: str, frame: pd.DataFrame) -> None:
    with psycopg.connect(database_url) as conn:
        conn.execute(ddl)
        with conn.cursor().copy(f"copy {table} ({', '.join(frame.columns)}) from stdin") as copy:
            for row in frame.itertuples(index=False):
                copy.write_row([None if pd.isna(value) else value for value in row])


def write_features_table(database_url: str, enquiries: pd.DataFrame) -> None:
    """Create `features.ml_booking_features` holding `enquiries` (all but the truth columns)."""
    truth = {"true_probability", "booked_eventually"}
    columns = [column for column in enquiries.columns if column not in truth]
    _copy_frame(database_url, FEATURES_DDL, "features.ml_booking_features", enquiries[columns])


def booking_values(enquiries: pd.DataFrame) -> pd.Series:
    """The value of each booked enquiry's booking (NaN for the others)."""
    return (enquiries["budget_gbp"] * BOOKING_VALUE_SHARE).where(enquiries["outcome"] == "booked")


def write_vendor_performance(database_url: str, enquiries: pd.DataFrame) -> None:
    """Create `marts.vendor_performance` (supplier x month of enquiry) from `enquiries`."""
    monthly = (
        enquiries.assign(
            month=pd.to_datetime(enquiries["enquiry_date"]).dt.to_period("M").dt.start_time.dt.date,
            is_booked=enquiries["outcome"] == "booked",
            value=booking_values(enquiries),
        )
        .groupby(["supplier_id", "month", "vendor_type", "region", "price_band"], as_index=False)
        .agg(
            enquiries=("enquiry_id", "count"),
            bookings=("is_booked", "sum"),
            revenue_gbp=("value", "sum"),
        )
    )
    _copy_frame(database_url, VENDOR_PERFORMANCE_DDL, "marts.vendor_performance", monthly)


ENQUIRY_FACTS_DDL = """
create schema if not exists marts;
drop table if exists marts.fct_enquiries;
create table marts.fct_enquiries (
    vendor_type text, region text, wedding_date date, created_at timestamptz,
    booked_at timestamptz
);
"""

CLIMATE_DDL = """
create schema if not exists seeds;
drop table if exists seeds.uk_climate_normals;
create table seeds.uk_climate_normals (
    region text, month integer, rain_days numeric(4, 1), mean_temp_c numeric(4, 1)
);
"""


def write_demand_history(
    database_url: str, enquiries: pd.DataFrame, climate_normals: pd.DataFrame
) -> None:
    """Create the `marts.fct_enquiries` columns the forecast reads, and the climate seed."""
    facts = enquiries.astype({"wedding_date": "object"}).assign(
        wedding_date=pd.to_datetime(enquiries["wedding_date"]).dt.date
    )
    _copy_frame(database_url, ENQUIRY_FACTS_DDL, "marts.fct_enquiries", facts)
    _copy_frame(database_url, CLIMATE_DDL, "seeds.uk_climate_normals", climate_normals)


def write_truth(truth_dir: Path, enquiries: pd.DataFrame) -> None:
    """Write the simulator-style `enquiry_outcomes.parquet` for the oracle comparison."""
    truth_dir.mkdir(parents=True, exist_ok=True)
    outcomes = enquiries[["enquiry_id", "true_probability"]].assign(
        booked=enquiries["booked_eventually"]
    )
    outcomes.to_parquet(truth_dir / "enquiry_outcomes.parquet", index=False)
