"""The couple's total budget, estimated from what is known at their first enquiry.

The simulator gives each couple one total budget and states it on every enquiry they send, so
the budget in `features.ml_couple_budget_features` IS the truth (rows with an injected
out-of-range budget are quarantined before it). It is therefore the label and never an input:
a model reading it would only copy it. The inputs are the couple's first choice - the vendor
type, price band and base price of the first supplier they asked (couples ask suppliers whose
price fits their budget), the region, the guest count and the wedding date - so the model
answers "what can this couple spend?" where the budget is not stated or not trusted. The median
budget is the baseline every candidate must beat on mean absolute error in pounds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import psycopg
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyRegressor
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline

from ml.candidates import RANDOM_STATE, categorical_encoder
from ml.evaluation import by_prediction_decile
from ml.gated_model import GatedModelSpec, typed_frame

FEATURES_TABLE = "features.ml_couple_budget_features"
REGISTERED_MODEL = "couple_budget_at_first_enquiry"
EXPERIMENT_NAME = "wedsync-couple-budget"

CATEGORICAL_FEATURES: tuple[str, ...] = ("vendor_type", "region", "price_band", "channel")
NUMERIC_FEATURES: tuple[str, ...] = (
    "base_price_gbp",
    "lead_time_days",
    "guest_count",
    "wedding_month",
    "is_peak_season",
    "is_saturday",
)
FEATURE_COLUMNS = CATEGORICAL_FEATURES + NUMERIC_FEATURES
ID_COLUMNS = ("couple_id", "first_enquiry_id", "first_supplier_id", "first_enquiry_date")
LABEL = "budget_gbp"


def read_couple_budget_features(conn: psycopg.Connection) -> pd.DataFrame:
    """Every couple's first-enquiry features and stated budget, typed for scikit-learn."""
    columns = (*ID_COLUMNS, *FEATURE_COLUMNS, LABEL)
    cursor = conn.execute(
        f"select {', '.join(columns)} from {FEATURES_TABLE} order by first_enquiry_date, couple_id"
    )
    return prepare_couples(pd.DataFrame(cursor.fetchall(), columns=list(columns)))


def prepare_couples(couples: pd.DataFrame) -> pd.DataFrame:
    """Numbers (booleans as 0/1) as float, categories as str, the date as a timestamp."""
    return typed_frame(
        couples,
        numeric=(*NUMERIC_FEATURES, LABEL),
        categorical=CATEGORICAL_FEATURES,
        dates=("first_enquiry_date",),
    )


def labelled_couples(couples: pd.DataFrame) -> pd.DataFrame:
    """Couples with a valid stated budget (the others are scored, never trained on)."""
    return couples[couples[LABEL].notna()]


def median_baseline() -> Pipeline:
    """Every couple gets the training couples' median budget."""
    return Pipeline([("median", DummyRegressor(strategy="median"))])


def gradient_boosting() -> Pipeline:
    """Boosted trees on absolute error (the loss the gate judges), native categories and gaps."""
    preprocess = ColumnTransformer(
        [
            ("categories", categorical_encoder(), list(CATEGORICAL_FEATURES)),
            ("numbers", "passthrough", list(NUMERIC_FEATURES)),
        ]
    )
    model = HistGradientBoostingRegressor(
        loss="absolute_error",
        learning_rate=0.05,
        max_iter=300,
        max_leaf_nodes=15,
        l2_regularization=1.0,
        categorical_features=[True] * len(CATEGORICAL_FEATURES) + [False] * len(NUMERIC_FEATURES),
        early_stopping=True,
        random_state=RANDOM_STATE,
    )
    return Pipeline([("preprocess", preprocess), ("gradient_boosting", model)])


def predict_budget(model: Pipeline, couples: pd.DataFrame) -> np.ndarray:
    """Estimated total budget of each couple, GBP (never below zero)."""
    columns = list(getattr(model, "feature_names_in_", FEATURE_COLUMNS))
    return np.clip(np.asarray(model.predict(couples.loc[:, columns]), dtype=float), 0, None)


def absolute_error(budget: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Per couple |predicted - true budget|, GBP."""
    return np.abs(np.asarray(predicted, dtype=float) - np.asarray(budget, dtype=float))


def budget_metrics(budget: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """MAE (GBP), MAPE and median APE against the true budgets, and the rows measured."""
    budget = np.asarray(budget, dtype=float)
    percentage = absolute_error(budget, predicted) / budget
    return {
        "rows": float(len(budget)),
        "mae_gbp": float(absolute_error(budget, predicted).mean()),
        "mape": float(percentage.mean()),
        "median_ape": float(np.median(percentage)),
        "mean_budget_gbp": float(budget.mean()),
        "mean_predicted_gbp": float(np.mean(predicted)),
    }


def budget_artifacts(budget: np.ndarray, predicted: np.ndarray) -> dict[str, pd.DataFrame]:
    """Tables logged with each MLflow run."""
    return {"budget_deciles": by_prediction_decile(predicted, budget)}


COUPLE_BUDGET_MODEL = GatedModelSpec(
    registered_model=REGISTERED_MODEL,
    experiment=EXPERIMENT_NAME,
    date_column="first_enquiry_date",
    label=LABEL,
    features=FEATURE_COLUMNS,
    candidates={"median": median_baseline, "gradient_boosting": gradient_boosting},
    baseline="median",
    loss="mae_gbp",
    predict=predict_budget,
    row_loss=absolute_error,
    metrics=budget_metrics,
)
