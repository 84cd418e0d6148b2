"""The candidate models for booking probability, each a pipeline over the raw feature columns.

Every candidate takes the frame `ml.features.model_inputs` returns, so the registered model can
be scored by anyone holding the features table, with no preprocessing kept outside MLflow.
The prior-rate baseline is in the running on purpose: a model that cannot beat "every enquiry
books at the historical rate" must never be promoted.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from ml.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES

RANDOM_STATE = 42


def prior_rate_baseline() -> Pipeline:
    """Predicts the training booking rate for every enquiry (ROC AUC 0.5 by construction)."""
    return Pipeline([("prior_rate", DummyClassifier(strategy="prior"))])


def logistic_regression() -> Pipeline:
    """One-hot categories, imputed and scaled numbers, L2 logistic regression."""
    preprocess = ColumnTransformer(
        [
            (
                "categories",
                OneHotEncoder(handle_unknown="ignore", min_frequency=20),
                list(CATEGORICAL_FEATURES),
            ),
            (
                "numbers",
                make_pipeline(
                    SimpleImputer(strategy="median", add_indicator=True), StandardScaler()
                ),
                list(NUMERIC_FEATURES),
            ),
        ]
    )
    model = LogisticRegression(C=1.0, max_iter=1000)
    return Pipeline([("preprocess", preprocess), ("logistic_regression", model)])


def categorical_encoder() -> OrdinalEncoder:
    """Categories as codes for boosting's native splits; unknown or missing become NaN."""
    return OrdinalEncoder(
        handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan
    )


def gradient_boosting() -> Pipeline:
    """Native categorical splits and missing values; early stopping keeps it from overfitting."""
    preprocess = ColumnTransformer(
        [
            ("categories", categorical_encoder(), list(CATEGORICAL_FEATURES)),
            ("numbers", "passthrough", list(NUMERIC_FEATURES)),
        ]
    )
    categorical_mask = [True] * len(CATEGORICAL_FEATURES) + [False] * len(NUMERIC_FEATURES)
    model = HistGradientBoostingClassifier(
        learning_rate=0.05,
        max_iter=300,
        max_leaf_nodes=15,
        l2_regularization=1.0,
        categorical_features=categorical_mask,
        early_stopping=True,
        random_state=RANDOM_STATE,
    )
    return Pipeline([("preprocess", preprocess), ("gradient_boosting", model)])


CANDIDATES: dict[str, Callable[[], Pipeline]] = {
    "prior_rate": prior_rate_baseline,
    "logistic_regression": logistic_regression,
    "gradient_boosting": gradient_boosting,
}


def build_candidates(names: list[str]) -> dict[str, Pipeline]:
    """Unfitted pipelines for the named candidates; an unknown name says which ones exist."""
    unknown = sorted(set(names) - set(CANDIDATES))
    if unknown:
        raise ValueError(f"unknown model candidates {unknown}; choose from {sorted(CANDIDATES)}")
    return {name: CANDIDATES[name]() for name in names}
