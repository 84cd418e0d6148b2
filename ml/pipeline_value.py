"""Each supplier's open pipeline in pounds: Σ booking probability x expected booking value.

The probability is the one that knows time: that the open enquiry still books given that it
has not in its first days (`predictions.booking_probability.probability`, from the at-enquiry
model and the booking-lag hazard in `ml.hazard`), so an enquiry weeks old counts for what it
is still worth; the horizon is the longest booking lag seen (`horizon_days` there).
`ml.truth_report` checks the sum against what really books. Plain on purpose, so a supplier
can check it by hand. The expected value of a booking is the
supplier's own revenue per booking when it has at least `MIN_SUPPLIER_BOOKINGS` of them, else
that of its vendor type in its region, else that of its vendor type nationally. Revenue per
booking counts a cancelled booking as zero revenue, so cancellation risk is priced in.

The expected count alone reads as more certain than it is: a supplier with 22 open enquiries
expecting 0.44 bookings may well get 2. So each supplier also gets the central 90% range of
its number of bookings (`bookings_low`..`bookings_high`), exact for independent enquiries
(the Poisson-binomial distribution of the sum), which `ml.truth_report` checks for coverage.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import psycopg

from ml.tables import replace_table, sql_value

MIN_SUPPLIER_BOOKINGS = 3
#: The share of outcomes a supplier's bookings range covers.
LIKELY_LEVEL = 0.90
SUPPLIER, SEGMENT, NATIONAL = "value_supplier", "value_segment", "value_national"
#: What `value_basis` says about each fallback level.
VALUE_BASIS = {SUPPLIER: "supplier", SEGMENT: "vendor_type_region", NATIONAL: "vendor_type"}

PIPELINE_TABLE = ("predictions", "pipeline_value")
PIPELINE_COLUMNS = (
    "supplier_id",
    "open_enquiries",
    "expected_bookings",
    "expected_revenue_gbp",
    "bookings_low",
    "bookings_high",
    "booking_value_gbp",
    "value_basis",
    "model_version",
    "scored_at",
)
PIPELINE_DDL = """
create schema if not exists predictions;
create table if not exists predictions.pipeline_value (
    supplier_id          text             primary key,
    open_enquiries       integer          not null check (open_enquiries > 0),
    expected_bookings    double precision not null check (expected_bookings >= 0),
    expected_revenue_gbp numeric(14, 2),
    booking_value_gbp    numeric(12, 2),
    value_basis          text
                         check (value_basis in ('supplier', 'vendor_type_region', 'vendor_type')),
    model_version        text             not null,
    scored_at            timestamptz      not null
);
-- Added after the table was first published: warehouses built before keep their rows.
alter table predictions.pipeline_value
    add column if not exists bookings_low integer,
    add column if not exists bookings_high integer;
comment on column predictions.pipeline_value.bookings_low is
    'Lower end of the central 90% range of the number of open enquiries that will book.';
comment on column predictions.pipeline_value.bookings_high is
    'Upper end of the central 90% range of the number of open enquiries that will book.';
comment on column predictions.pipeline_value.value_basis is
    'Whose average booking value priced the pipeline: the supplier''s own, its vendor type in '
    'its region, or its vendor type nationally; null when no booking of that type exists yet.';
"""


def _revenue_per_booking(history: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    totals = history.groupby(keys, as_index=False)[["bookings", "revenue_gbp"]].sum()
    totals = totals[totals["bookings"] > 0]
    return totals.assign(value=totals["revenue_gbp"] / totals["bookings"])[[*keys, "value"]]


def expected_booking_values(
    suppliers: pd.DataFrame, supplier_history: pd.DataFrame
) -> pd.DataFrame:
    """`supplier_id, booking_value_gbp, value_basis` for each of `suppliers`.

    `suppliers` holds `supplier_id, vendor_type, region`; `supplier_history` one or more rows
    per supplier with `supplier_id, bookings, revenue_gbp` (e.g. `marts.vendor_performance`).
    """
    history = supplier_history.merge(suppliers, on="supplier_id", how="inner")
    own = _revenue_per_booking(history, ["supplier_id"])
    trusted = history.groupby("supplier_id")["bookings"].sum() >= MIN_SUPPLIER_BOOKINGS
    own = own[own["supplier_id"].map(trusted)]
    segment = _revenue_per_booking(history, ["vendor_type", "region"])
    vendor_type = _revenue_per_booking(history, ["vendor_type"])
    values = (
        suppliers.merge(own.rename(columns={"value": SUPPLIER}), on="supplier_id", how="left")
        .merge(segment.rename(columns={"value": SEGMENT}), on=["vendor_type", "region"], how="left")
        .merge(vendor_type.rename(columns={"value": NATIONAL}), on="vendor_type", how="left")
    )
    bases = [SUPPLIER, SEGMENT, NATIONAL]
    values["booking_value_gbp"] = values[bases].bfill(axis=1).iloc[:, 0]
    values["value_basis"] = (
        values[bases]
        .notna()
        .idxmax(axis=1)
        .map(VALUE_BASIS)
        .where(values[bases].notna().any(axis=1))
    )
    return values[["supplier_id", "booking_value_gbp", "value_basis"]]


def likely_bookings(probabilities: np.ndarray, level: float = LIKELY_LEVEL) -> tuple[int, int]:
    """The central `level` range of how many of these enquiries book, each independently.

    The exact distribution of the count (Poisson-binomial) by convolution, which is cheap at
    a supplier's few dozen open enquiries. The range leaves at most (1 - level) / 2 of the
    probability below it and above it, so it covers at least `level`.
    """
    distribution = np.ones(1)
    for probability in probabilities:
        distribution = np.convolve(distribution, [1.0 - probability, probability])
    cumulative = np.cumsum(distribution)
    tail = (1.0 - level) / 2
    low = int(np.searchsorted(cumulative, tail, side="left"))
    high = int(np.searchsorted(cumulative, 1.0 - tail - 1e-12, side="left"))
    return low, min(high, len(probabilities))


def pipeline_value(scores: pd.DataFrame, booking_values: pd.DataFrame) -> pd.DataFrame:
    """Per supplier: open enquiries, expected bookings (Σ p) and their likely range, and
    expected revenue (Σ p x value).

    `scores` holds `enquiry_id, supplier_id, probability`; `booking_values` is what
    `expected_booking_values` returns. A supplier whose value is unknown keeps its expected
    bookings and gets no expected revenue (null), rather than a made-up one.
    """
    per_supplier = scores.groupby("supplier_id", as_index=False).agg(
        open_enquiries=("enquiry_id", "count"), expected_bookings=("probability", "sum")
    )
    ranges = {
        supplier: likely_bookings(probabilities.to_numpy())
        for supplier, probabilities in scores.groupby("supplier_id")["probability"]
    }
    per_supplier["bookings_low"] = [ranges[s][0] for s in per_supplier["supplier_id"]]
    per_supplier["bookings_high"] = [ranges[s][1] for s in per_supplier["supplier_id"]]
    valued = per_supplier.merge(booking_values, on="supplier_id", how="left")
    valued["expected_revenue_gbp"] = (
        valued["expected_bookings"] * valued["booking_value_gbp"]
    ).round(2)
    valued["booking_value_gbp"] = valued["booking_value_gbp"].round(2)
    return valued.sort_values("supplier_id", ignore_index=True)


def read_pipeline_inputs(conn: psycopg.Connection) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Today's scores, supplier booking values, and the model version that scored them.

    No scores (no open enquiry today) gives an empty pipeline, not an error.
    """
    scores = pd.DataFrame(
        conn.execute(
            "select enquiry_id, supplier_id, probability, model_version "
            "from predictions.booking_probability"
        ).fetchall(),
        columns=["enquiry_id", "supplier_id", "probability", "model_version"],
    ).astype({"probability": "float64"})
    suppliers = pd.DataFrame(
        conn.execute(
            # One row per supplier even if a supplier's type or region changed: the latest.
            "select distinct on (supplier_id) supplier_id, vendor_type, region "
            "from features.ml_booking_features order by supplier_id, enquiry_date desc"
        ).fetchall(),
        columns=["supplier_id", "vendor_type", "region"],
    )
    history = pd.DataFrame(
        conn.execute(
            "select supplier_id, sum(bookings)::bigint, sum(revenue_gbp)::double precision "
            "from marts.vendor_performance group by supplier_id"
        ).fetchall(),
        columns=["supplier_id", "bookings", "revenue_gbp"],
    )
    model_version = ",".join(sorted(scores["model_version"].unique()))
    booking_values = expected_booking_values(suppliers, history)
    return scores.drop(columns="model_version"), booking_values, model_version


def replace_pipeline_value(
    conn: psycopg.Connection, valued: pd.DataFrame, model_version: str, scored_at: dt.datetime
) -> int:
    """Replace `predictions.pipeline_value` with `valued`; return rows written."""
    rows = (
        (
            row.supplier_id,
            int(row.open_enquiries),
            float(row.expected_bookings),
            sql_value(row.expected_revenue_gbp),
            int(row.bookings_low),
            int(row.bookings_high),
            sql_value(row.booking_value_gbp),
            sql_value(row.value_basis),
            model_version,
            scored_at,
        )
        for row in valued.itertuples(index=False)
    )
    return replace_table(conn, PIPELINE_DDL, PIPELINE_TABLE, PIPELINE_COLUMNS, rows)
