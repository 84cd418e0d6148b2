"""Score open enquiries with the champion into `predictions.booking_probability`.

The table is replaced in one transaction (`ml.tables.replace_table`), so the API reads either
yesterday's scores or today's, never a half-written mix.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import psycopg
from sklearn.pipeline import Pipeline

from ml.tables import replace_table
from ml.training import predict_booking_probability

PREDICTIONS_TABLE = ("predictions", "booking_probability")
PREDICTIONS_COLUMNS = ("enquiry_id", "supplier_id", "probability", "model_version", "scored_at")

PREDICTIONS_DDL = """
create schema if not exists predictions;
create table if not exists predictions.booking_probability (
    enquiry_id    text             primary key,
    supplier_id   text             not null,
    probability   double precision not null check (probability between 0 and 1),
    model_version text             not null,
    scored_at     timestamptz      not null
);
"""


def score_enquiries(model: Pipeline, enquiries: pd.DataFrame) -> pd.DataFrame:
    """`enquiry_id, supplier_id, probability` for each enquiry given."""
    scores = enquiries.loc[:, ["enquiry_id", "supplier_id"]].copy()
    scores["probability"] = predict_booking_probability(model, enquiries) if len(scores) else []
    return scores


def replace_predictions(
    conn: psycopg.Connection, scores: pd.DataFrame, model_version: str, scored_at: dt.datetime
) -> int:
    """Replace the whole predictions table with `scores` atomically; return rows written."""
    rows = (
        (enquiry_id, supplier_id, float(probability), model_version, scored_at)
        for enquiry_id, supplier_id, probability in scores.itertuples(index=False)
    )
    return replace_table(conn, PREDICTIONS_DDL, PREDICTIONS_TABLE, PREDICTIONS_COLUMNS, rows)
