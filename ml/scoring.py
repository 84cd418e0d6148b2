"""Score open enquiries with the champion into `predictions.booking_probability`.

`probability` is the chance the enquiry still books given that it is open at its age
(`ml.hazard`): what a supplier's pipeline is worth today. `probability_at_enquiry` is the
champion's score as it was when the enquiry arrived (what the online API answers).

The table is replaced in one transaction (`ml.tables.replace_table`), so the API reads either
yesterday's scores or today's, never a half-written mix.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import psycopg
from sklearn.pipeline import Pipeline

from ml.hazard import BookingLagHazard
from ml.tables import replace_table
from ml.training import predict_booking_probability

PREDICTIONS_TABLE = ("predictions", "booking_probability")
PREDICTIONS_COLUMNS = (
    "enquiry_id",
    "supplier_id",
    "probability",
    "probability_at_enquiry",
    "enquiry_age_days",
    "horizon_days",
    "model_version",
    "scored_at",
)

PREDICTIONS_DDL = """
create schema if not exists predictions;
create table if not exists predictions.booking_probability (
    enquiry_id             text             primary key,
    supplier_id            text             not null,
    probability            double precision not null check (probability between 0 and 1),
    probability_at_enquiry double precision not null
                           check (probability_at_enquiry between 0 and 1),
    enquiry_age_days       integer          not null,
    horizon_days           integer          not null,
    model_version          text             not null,
    scored_at              timestamptz      not null
);
-- Tables made before the at-enquiry split gain the columns (every run replaces all rows).
alter table predictions.booking_probability
    add column if not exists probability_at_enquiry double precision,
    add column if not exists enquiry_age_days integer,
    add column if not exists horizon_days integer;
comment on column predictions.booking_probability.probability is
    'Probability the open enquiry books within horizon_days of being made, given that it has '
    'not booked in its first enquiry_age_days days.';
"""
_SCORE_COLUMNS = PREDICTIONS_COLUMNS[:6]


def score_enquiries(
    model: Pipeline, enquiries: pd.DataFrame, hazard: BookingLagHazard, as_of: pd.Timestamp
) -> pd.DataFrame:
    """`enquiry_id, supplier_id, probability, probability_at_enquiry, enquiry_age_days,
    horizon_days` for each open enquiry given (ages counted to `as_of`)."""
    scores = enquiries.loc[:, ["enquiry_id", "supplier_id"]].copy()
    if scores.empty:
        return scores.reindex(columns=list(_SCORE_COLUMNS))
    at_enquiry = predict_booking_probability(model, enquiries)
    ages = (as_of - pd.to_datetime(enquiries["enquiry_date"])).dt.days.astype("int64")
    scores["probability"] = hazard.still_books(at_enquiry.to_numpy(), ages.to_numpy())
    scores["probability_at_enquiry"] = at_enquiry.to_numpy()
    scores["enquiry_age_days"] = ages.to_numpy()
    scores["horizon_days"] = hazard.horizon_days
    return scores


def replace_predictions(
    conn: psycopg.Connection, scores: pd.DataFrame, model_version: str, scored_at: dt.datetime
) -> int:
    """Replace the whole predictions table with `scores` atomically; return rows written."""
    rows = (
        (
            row.enquiry_id,
            row.supplier_id,
            float(row.probability),
            float(row.probability_at_enquiry),
            int(row.enquiry_age_days),
            int(row.horizon_days),
            model_version,
            scored_at,
        )
        for row in scores.loc[:, list(_SCORE_COLUMNS)].itertuples(index=False)
    )
    return replace_table(conn, PREDICTIONS_DDL, PREDICTIONS_TABLE, PREDICTIONS_COLUMNS, rows)
