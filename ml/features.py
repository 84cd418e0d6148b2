"""Reading `features.ml_booking_features` into the frame every model is trained and scored on.

The table is built by dbt (see docs/internals.md); this module owns which of its columns are
model inputs, and coerces them to float/str so a dbt type change (numeric vs double, boolean
vs integer) never changes what the model sees.

The booking model scores an enquiry when it arrives, so its inputs are only what is known
then: the supplier's reply (`REPLY_COLUMNS`) is in the table but is never a model input. A
model trained on the reply and scored before it came would read "no reply yet" as "never
replied" (issue 12).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal

import pandas as pd
import psycopg

FEATURES_TABLE = "features.ml_booking_features"

CATEGORICAL_FEATURES: tuple[str, ...] = ("vendor_type", "region", "price_band", "channel")
NUMERIC_FEATURES: tuple[str, ...] = (
    "lead_time_days",
    "guest_count",
    "budget_gbp",
    "budget_to_price_ratio",
    "wedding_month",
    "is_peak_season",
    "is_saturday",
    "wedding_month_rain_days",
    "wedding_month_mean_temp_c",
    "supplier_date_bookings",
    "couple_prior_enquiries",
    "couple_booked_vendor_type",
)
FEATURE_COLUMNS: tuple[str, ...] = CATEGORICAL_FEATURES + NUMERIC_FEATURES
#: Features an enquiry may lack: a value the staging models nulled as malformed, or a region
#: without climate normals.
OPTIONAL_FEATURES: frozenset[str] = frozenset(
    {
        "guest_count",
        "budget_gbp",
        "budget_to_price_ratio",
        "wedding_month_rain_days",
        "wedding_month_mean_temp_c",
    }
)
#: Known only after the supplier answers: kept for analysis, never a booking-model input.
REPLY_COLUMNS: tuple[str, ...] = ("first_response_hours", "responded")
ID_COLUMNS: tuple[str, ...] = (
    "enquiry_id",
    "supplier_id",
    "enquiry_date",
    "outcome",
    "booked",
    "days_to_booking",
)
LABEL = "booked"


def read_booking_features(conn: psycopg.Connection) -> pd.DataFrame:
    """Every enquiry's features, ids, outcome and label, typed for scikit-learn."""
    columns = ID_COLUMNS + FEATURE_COLUMNS + REPLY_COLUMNS
    cursor = conn.execute(
        f"select {', '.join(columns)} from {FEATURES_TABLE} order by enquiry_date, enquiry_id"
    )
    return prepare_features(pd.DataFrame(cursor.fetchall(), columns=list(columns)))


def _coerce_feature_types(enquiries: pd.DataFrame) -> pd.DataFrame:
    """Feature columns as float (numeric, booleans as 0/1) and str (categorical), on a copy."""
    typed = enquiries.copy()
    for column in NUMERIC_FEATURES:
        typed[column] = pd.to_numeric(typed[column].astype("object"), errors="coerce").astype(
            "float64"
        )
    for column in CATEGORICAL_FEATURES:
        typed[column] = typed[column].astype("str").where(typed[column].notna(), None)
    return typed


def prepare_features(enquiries: pd.DataFrame) -> pd.DataFrame:
    """Coerce feature columns to float (numeric, booleans as 0/1) and str (categorical)."""
    typed = _coerce_feature_types(enquiries)
    typed["enquiry_date"] = pd.to_datetime(typed["enquiry_date"])
    for column in ("days_to_booking", *REPLY_COLUMNS):
        if column in typed:
            typed[column] = pd.to_numeric(typed[column].astype("object")).astype("float64")
    return typed


def _feature_problem(name: str, value: object) -> str | None:
    """Why one posted feature value cannot be scored, or None when it can."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None if name in OPTIONAL_FEATURES else "is required"
    if name in CATEGORICAL_FEATURES:
        return None if isinstance(value, str) and value else "must be a non-empty string"
    if isinstance(value, bool | int | float | Decimal):
        return None
    return f"must be a number or boolean, got {value!r}"


def features_from_records(enquiries: Sequence[Mapping[str, object]]) -> pd.DataFrame:
    """Posted enquiries (one mapping each, as the online API receives them) as model inputs.

    Every feature must be present (those in `OPTIONAL_FEATURES` may be null); keys that are
    not features, such as `enquiry_id`, are ignored. A bad value raises `ValueError` naming
    the enquiry's position and the field, so the caller can answer 422 with it.
    """
    problems = [
        f"enquiries[{index}].{name} {problem}"
        for index, enquiry in enumerate(enquiries)
        for name in FEATURE_COLUMNS
        if (problem := _feature_problem(name, enquiry.get(name))) is not None
    ]
    if problems:
        raise ValueError("; ".join(problems))
    rows = [{name: enquiry.get(name) for name in FEATURE_COLUMNS} for enquiry in enquiries]
    return model_inputs(_coerce_feature_types(pd.DataFrame(rows, columns=list(FEATURE_COLUMNS))))


def labelled_enquiries(enquiries: pd.DataFrame) -> pd.DataFrame:
    """Enquiries with an outcome so far (booked or lost), settled or not.

    Recent enquiries are labelled only if they have already booked; train and judge on
    `ml.evaluation.settled_enquiries`, which embargoes them.
    """
    labelled = enquiries[enquiries["outcome"].isin(["booked", "lost"])].copy()
    labelled[LABEL] = labelled[LABEL].astype("int64")
    return labelled


def open_enquiries(enquiries: pd.DataFrame) -> pd.DataFrame:
    """Enquiries still open (no booking yet, recent): the population the model scores."""
    return enquiries[enquiries["outcome"] == "open"]


def model_inputs(enquiries: pd.DataFrame) -> pd.DataFrame:
    """Only the raw feature columns, in the order the model's signature expects."""
    return enquiries.loc[:, list(FEATURE_COLUMNS)]
