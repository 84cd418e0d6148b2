"""`predictions.couple_budget` and `predictions.review_score`: champions' scores, replaced whole.

Both tables carry `supplier_id` - the supplier of the couple's first enquiry, the booked
supplier - so `app.apply_row_level_security()` gives them the API role's grant and the
per-supplier policy like every other predictions table. Each row names the champion it was
scored with (version, the candidate it is, and whether that is the baseline), so the API can
say whether a served estimate comes from a model or from the yardstick the gate kept.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import psycopg

from ml.couple_budget import predict_budget
from ml.gated_model import Champion
from ml.review_score import (
    SCORES,
    expected_score,
    good_review_probability,
    predict_score_distribution,
)
from ml.tables import replace_table

COUPLE_BUDGET_TABLE = ("predictions", "couple_budget")
COUPLE_BUDGET_COLUMNS = (
    "couple_id",
    "supplier_id",
    "first_enquiry_date",
    "predicted_budget_gbp",
    "model_version",
    "model_candidate",
    "champion_is_baseline",
    "scored_at",
)
COUPLE_BUDGET_DDL = """
create schema if not exists predictions;
create table if not exists predictions.couple_budget (
    couple_id            text             primary key,
    supplier_id          text             not null,
    first_enquiry_date   date             not null,
    predicted_budget_gbp double precision not null check (predicted_budget_gbp >= 0),
    model_version        text             not null,
    model_candidate      text             not null,
    champion_is_baseline boolean          not null,
    scored_at            timestamptz      not null
);
-- Tables scored before the champion was named on each row.
alter table predictions.couple_budget
    add column if not exists model_candidate text,
    add column if not exists champion_is_baseline boolean;
comment on column predictions.couple_budget.predicted_budget_gbp is
    'Estimated total wedding budget from what was known at the first enquiry (not the stated one).';
comment on column predictions.couple_budget.supplier_id is
    'The supplier of the couple''s first enquiry: the tenant the row belongs to.';
"""

REVIEW_SCORE_TABLE = ("predictions", "review_score")
REVIEW_SCORE_COLUMNS = (
    "booking_id",
    "supplier_id",
    "wedding_date",
    "expected_score",
    "probability_good_review",
    "model_version",
    "model_candidate",
    "champion_is_baseline",
    "scored_at",
)
REVIEW_SCORE_DDL = """
create schema if not exists predictions;
create table if not exists predictions.review_score (
    booking_id              text             primary key,
    supplier_id             text             not null,
    wedding_date            date,
    expected_score          double precision not null check (expected_score between 1 and 5),
    probability_good_review double precision not null
                            check (probability_good_review between 0 and 1),
    model_version           text             not null,
    model_candidate         text             not null,
    champion_is_baseline    boolean          not null,
    scored_at               timestamptz      not null
);
alter table predictions.review_score
    add column if not exists model_candidate text,
    add column if not exists champion_is_baseline boolean;
comment on column predictions.review_score.probability_good_review is
    'Probability the booking is reviewed 4 or 5 stars, from what was known when it was booked.';
"""


def replace_couple_budgets(
    conn: psycopg.Connection, champion: Champion, couples: pd.DataFrame, scored_at: dt.datetime
) -> int:
    """Score every couple as at their first enquiry and replace the table; return rows written."""
    # scikit-learn refuses to predict zero rows.
    predicted = predict_budget(champion.pipeline, couples) if len(couples) else np.empty(0)
    scored_by = (champion.version, champion.candidate, champion.is_baseline, scored_at)
    rows = (
        (couple, supplier, first_date.date(), float(budget), *scored_by)
        for couple, supplier, first_date, budget in zip(
            couples["couple_id"],
            couples["first_supplier_id"],
            couples["first_enquiry_date"],
            predicted,
            strict=True,
        )
    )
    return replace_table(conn, COUPLE_BUDGET_DDL, COUPLE_BUDGET_TABLE, COUPLE_BUDGET_COLUMNS, rows)


def replace_review_scores(
    conn: psycopg.Connection, champion: Champion, bookings: pd.DataFrame, scored_at: dt.datetime
) -> int:
    """Score the bookings given (those awaiting a review) and replace the table."""
    distribution = (
        predict_score_distribution(champion.pipeline, bookings)
        if len(bookings)
        else np.empty((0, len(SCORES)))
    )
    scored_by = (champion.version, champion.candidate, champion.is_baseline, scored_at)
    rows = (
        (
            booking,
            supplier,
            None if pd.isna(wedding) else wedding.date(),
            float(score),
            float(probability),
            *scored_by,
        )
        for booking, supplier, wedding, score, probability in zip(
            bookings["booking_id"],
            bookings["supplier_id"],
            bookings["wedding_date"],
            expected_score(distribution),
            good_review_probability(distribution),
            strict=True,
        )
    )
    return replace_table(conn, REVIEW_SCORE_DDL, REVIEW_SCORE_TABLE, REVIEW_SCORE_COLUMNS, rows)
