"""Satisfaction: the review score (1-5) a booking will get, from what is known when it is booked.

The inputs are the supplier's reviews posted before the booking (count, mean, share of 4-5),
its vendor type, region and price band, the lead time to the wedding, the guest count, the
booking's value and the couple's budget against the supplier's price
(`features.ml_review_features`). The model gives a distribution over the five scores, so a
booking's expected score and its chance of a good review (P(score >= 4)) both come from it and
can each be checked for calibration. The prior distribution (every booking gets the historical
share of each score) is the baseline; candidates are chosen and promoted on log loss.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import psycopg
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline

from ml.candidates import RANDOM_STATE, categorical_encoder
from ml.evaluation import PROBABILITY_FLOOR, by_prediction_decile, expected_calibration_error
from ml.gated_model import GatedModelSpec, typed_frame

FEATURES_TABLE = "features.ml_review_features"
REGISTERED_MODEL = "review_score_at_booking"
EXPERIMENT_NAME = "wedsync-review-score"

SCORES = np.array([1, 2, 3, 4, 5])
GOOD_SCORE = 4
CATEGORICAL_FEATURES: tuple[str, ...] = ("vendor_type", "region", "price_band", "channel")
NUMERIC_FEATURES: tuple[str, ...] = (
    "lead_time_days",
    "guest_count",
    "total_value_gbp",
    "budget_to_price_ratio",
    "supplier_past_reviews",
    "supplier_past_mean_rating",
    "supplier_past_share_4_plus",
)
FEATURE_COLUMNS = CATEGORICAL_FEATURES + NUMERIC_FEATURES
ID_COLUMNS = ("booking_id", "supplier_id", "booked_on", "wedding_date")
LABEL = "rating"


def read_review_features(conn: psycopg.Connection) -> pd.DataFrame:
    """Every standing booking's at-booking features and its review score (NaN until reviewed)."""
    columns = (*ID_COLUMNS, *FEATURE_COLUMNS, LABEL)
    cursor = conn.execute(
        f"select {', '.join(columns)} from {FEATURES_TABLE} order by booked_on, booking_id"
    )
    return prepare_bookings(pd.DataFrame(cursor.fetchall(), columns=list(columns)))


def prepare_bookings(bookings: pd.DataFrame) -> pd.DataFrame:
    """Numbers as float, categories as str, dates as timestamps."""
    return typed_frame(
        bookings,
        numeric=(*NUMERIC_FEATURES, LABEL),
        categorical=CATEGORICAL_FEATURES,
        dates=("booked_on", "wedding_date"),
    )


def reviewed_bookings(bookings: pd.DataFrame) -> pd.DataFrame:
    """Bookings with a review: the labelled rows (the score as an integer)."""
    reviewed = bookings[bookings[LABEL].notna()].copy()
    reviewed[LABEL] = reviewed[LABEL].astype("int64")
    return reviewed


def unreviewed_bookings(bookings: pd.DataFrame) -> pd.DataFrame:
    """Bookings still waiting for their review: what the predictions table scores."""
    return bookings[bookings[LABEL].isna()]


def prior_baseline() -> Pipeline:
    """Every booking gets the training share of each score."""
    return Pipeline([("prior", DummyClassifier(strategy="prior"))])


def gradient_boosting() -> Pipeline:
    """Boosted trees over the five scores, native categories and missing track records."""
    preprocess = ColumnTransformer(
        [
            ("categories", categorical_encoder(), list(CATEGORICAL_FEATURES)),
            ("numbers", "passthrough", list(NUMERIC_FEATURES)),
        ]
    )
    model = HistGradientBoostingClassifier(
        learning_rate=0.05,
        max_iter=200,
        max_leaf_nodes=15,
        l2_regularization=1.0,
        categorical_features=[True] * len(CATEGORICAL_FEATURES) + [False] * len(NUMERIC_FEATURES),
        early_stopping=True,
        random_state=RANDOM_STATE,
    )
    return Pipeline([("preprocess", preprocess), ("gradient_boosting", model)])


def predict_score_distribution(model: Pipeline, bookings: pd.DataFrame) -> np.ndarray:
    """One row per booking, one column per score 1..5: the model's probability of each
    (a score never seen in training gets 0)."""
    columns = list(getattr(model, "feature_names_in_", FEATURE_COLUMNS))
    probabilities = model.predict_proba(bookings.loc[:, columns])
    distribution = np.zeros((len(bookings), len(SCORES)))
    for column, score in enumerate(model.classes_):
        distribution[:, int(score) - 1] = probabilities[:, column]
    return distribution


def expected_score(distribution: np.ndarray) -> np.ndarray:
    """Mean score of each booking's distribution."""
    return np.asarray(distribution) @ SCORES


def good_review_probability(distribution: np.ndarray) -> np.ndarray:
    """P(score >= 4) of each booking."""
    return np.asarray(distribution)[:, GOOD_SCORE - 1 :].sum(axis=1)


def score_log_loss(rating: np.ndarray, distribution: np.ndarray) -> np.ndarray:
    """Per booking -log P(the score it got)."""
    rows = np.arange(len(rating))
    chance = np.asarray(distribution)[rows, np.asarray(rating, dtype=int) - 1]
    return -np.log(np.clip(chance, PROBABILITY_FLOOR, 1.0))


def review_metrics(rating: np.ndarray, distribution: np.ndarray) -> dict[str, float]:
    """Log loss, the expected score's MAE, and P(score >= 4)'s Brier score and calibration."""
    rating = np.asarray(rating, dtype=int)
    good = (rating >= GOOD_SCORE).astype(float)
    probability = good_review_probability(distribution)
    predicted_score = expected_score(distribution)
    return {
        "rows": float(len(rating)),
        "log_loss": float(score_log_loss(rating, distribution).mean()),
        "score_mae": float(np.abs(predicted_score - rating).mean()),
        "mean_predicted_score": float(predicted_score.mean()),
        "mean_score": float(rating.mean()),
        "good_review_brier": float(((probability - good) ** 2).mean()),
        "good_review_predicted": float(probability.mean()),
        "good_review_rate": float(good.mean()),
        "good_review_ece": expected_calibration_error(good, probability),
    }


def review_artifacts(rating: np.ndarray, distribution: np.ndarray) -> dict[str, pd.DataFrame]:
    """Tables logged with each MLflow run."""
    return {
        "score_deciles": by_prediction_decile(expected_score(distribution), rating),
        "good_review_reliability": by_prediction_decile(
            good_review_probability(distribution), np.asarray(rating) >= GOOD_SCORE
        ),
    }


REVIEW_SCORE_MODEL = GatedModelSpec(
    registered_model=REGISTERED_MODEL,
    experiment=EXPERIMENT_NAME,
    date_column="booked_on",
    label=LABEL,
    features=FEATURE_COLUMNS,
    candidates={"prior": prior_baseline, "gradient_boosting": gradient_boosting},
    baseline="prior",
    loss="log_loss",
    predict=predict_score_distribution,
    row_loss=score_log_loss,
    metrics=review_metrics,
)
