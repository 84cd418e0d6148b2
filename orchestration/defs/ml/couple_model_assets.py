"""The couple's budget and the booking's review score: two loss-gated models and their scores.

`ml/couple_budget_model` and `ml/review_score_model` each train on their dbt features table,
log an MLflow run and register a version, which becomes `champion` only if a paired bootstrap
of the per-row loss shows it beats the current one on the same test rows (`ml.gated_model`).
`predictions/couple_budget` and `predictions/review_score` score with whichever version is
champion, so a worse training never changes what is served.

Both models have the same two assets, so one factory (`gated_model_assets`) builds them from a
`CoupleModelAssets` spec: what differs is only the features, the rows trained on and scored,
and the table written.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import dagster as dg
import numpy as np
import pandas as pd
import psycopg
from mlflow.tracking import MlflowClient

from ml.couple_budget import (
    COUPLE_BUDGET_MODEL,
    budget_artifacts,
    labelled_couples,
    read_couple_budget_features,
)
from ml.couple_predictions import replace_couple_budgets, replace_review_scores
from ml.gated_model import (
    Champion,
    GatedModelSpec,
    PublishedGatedModel,
    load_champion,
    train_and_register_gated,
)
from ml.review_score import (
    REVIEW_SCORE_MODEL,
    read_review_features,
    review_artifacts,
    reviewed_bookings,
    unreviewed_bookings,
)
from orchestration.defs.ml.resources import MlflowResource
from orchestration.resources import WarehouseResource

COUPLE_BUDGET_FEATURES = dg.AssetKey(["features", "ml_couple_budget_features"])
COUPLE_BUDGET_MODEL_KEY = dg.AssetKey(["ml", "couple_budget_model"])
COUPLE_BUDGET_PREDICTIONS = dg.AssetKey(["predictions", "couple_budget"])
REVIEW_FEATURES = dg.AssetKey(["features", "ml_review_features"])
REVIEW_SCORE_MODEL_KEY = dg.AssetKey(["ml", "review_score_model"])
REVIEW_SCORE_PREDICTIONS = dg.AssetKey(["predictions", "review_score"])


@dataclass(frozen=True)
class CoupleModelAssets:
    """One loss-gated model's two assets: what they read, train on, score and write."""

    model: GatedModelSpec
    features_key: dg.AssetKey
    model_key: dg.AssetKey
    predictions_key: dg.AssetKey
    read_features: Callable[[psycopg.Connection], pd.DataFrame]
    #: The feature rows trained on (those with a label) and those scored.
    labelled: Callable[[pd.DataFrame], pd.DataFrame]
    to_score: Callable[[pd.DataFrame], pd.DataFrame]
    artifacts: Callable[[np.ndarray, np.ndarray], dict[str, pd.DataFrame]]
    replace_predictions: Callable[[psycopg.Connection, Champion, pd.DataFrame, dt.datetime], int]
    #: What the scored rows are, for logs ("couples", "bookings awaiting review").
    scored_rows: str
    train_description: str
    score_description: str


COUPLE_BUDGET_ASSETS = CoupleModelAssets(
    model=COUPLE_BUDGET_MODEL,
    features_key=COUPLE_BUDGET_FEATURES,
    model_key=COUPLE_BUDGET_MODEL_KEY,
    predictions_key=COUPLE_BUDGET_PREDICTIONS,
    read_features=read_couple_budget_features,
    labelled=labelled_couples,
    to_score=lambda couples: couples,
    artifacts=budget_artifacts,
    replace_predictions=replace_couple_budgets,
    scored_rows="couples",
    train_description=(
        "Train the couple-budget model (first-enquiry features, stated budget as the label) and"
        " register it; champion only if it beats the current one's absolute error beyond noise."
        "\n\nThe median budget is a candidate and the yardstick in the metadata (`median_test_*`)."
    ),
    score_description=(
        "predictions.couple_budget: the champion's estimate of every couple's total budget, as"
        " at their first enquiry. Replaced in one transaction each run."
    ),
)
REVIEW_SCORE_ASSETS = CoupleModelAssets(
    model=REVIEW_SCORE_MODEL,
    features_key=REVIEW_FEATURES,
    model_key=REVIEW_SCORE_MODEL_KEY,
    predictions_key=REVIEW_SCORE_PREDICTIONS,
    read_features=read_review_features,
    labelled=reviewed_bookings,
    to_score=unreviewed_bookings,
    artifacts=review_artifacts,
    replace_predictions=replace_review_scores,
    scored_rows="bookings awaiting review",
    train_description=(
        "Train the review-score model (at-booking features, the score the booking got) and"
        " register it; champion only if it beats the current one's log loss beyond noise."
        "\n\nThe prior share of each score is a candidate and the yardstick (`prior_test_*`)."
    ),
    score_description=(
        "predictions.review_score: for each standing booking not yet reviewed, the champion's"
        " expected score and chance of a 4-5 star review. Replaced in one transaction each run."
    ),
)


def _training_metadata(
    spec: GatedModelSpec, published: PublishedGatedModel
) -> dict[str, dg.MetadataValue]:
    """What a training asset shows in the UI: version, alias, why, windows, every candidate."""
    training = published.training
    metadata: dict[str, dg.MetadataValue] = {
        "model_version": dg.MetadataValue.text(published.version),
        "model": dg.MetadataValue.text(training.model_name),
        "alias": dg.MetadataValue.text(published.decision.alias),
        "promotion": dg.MetadataValue.text(published.decision.reason),
        "mlflow_run_id": dg.MetadataValue.text(published.run_id),
        "train_rows": dg.MetadataValue.int(len(training.train)),
        **{
            name: dg.MetadataValue.text(value)
            for part in ("validation", "test")
            for name, value in training.split.describe(part, spec.date_column).items()
        },
    }
    for name, metrics in training.candidate_test_metrics.items():
        metadata.update(
            {f"{name}_test_{metric}": dg.MetadataValue.float(v) for metric, v in metrics.items()}
        )
    return metadata


def _champion(spec: GatedModelSpec) -> Champion:
    """The champion to score with; a Failure naming the model before the first one."""
    champion = load_champion(spec, MlflowClient())
    if champion is None:
        raise dg.Failure(
            f"registered model {spec.registered_model!r} has no champion to score with"
        )
    return champion


def gated_model_assets(spec: CoupleModelAssets) -> list[dg.AssetsDefinition]:
    """The model's training asset and its scoring asset (which reads the champion, whichever
    training registered it)."""

    @dg.asset(
        key=spec.model_key,
        deps=[spec.features_key],
        group_name="ml",
        kinds={"scikitlearn", "mlflow"},
        owners=["team:data-science"],
        description=spec.train_description,
    )
    def train(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, mlflow: MlflowResource
    ) -> dg.MaterializeResult:
        mlflow.activate(spec.model.experiment)
        with warehouse.connection() as conn:
            rows = spec.labelled(spec.read_features(conn))
        published = train_and_register_gated(spec.model, rows, spec.artifacts)
        context.log.info(
            f"{spec.model.registered_model} v{published.version}: {published.decision.reason}"
        )
        return dg.MaterializeResult(metadata=_training_metadata(spec.model, published))

    @dg.asset(
        key=spec.predictions_key,
        deps=[spec.model_key, spec.features_key],
        group_name="ml",
        kinds={"postgres", "mlflow"},
        owners=["team:data-science"],
        description=spec.score_description,
    )
    def score(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, mlflow: MlflowResource
    ) -> dg.MaterializeResult:
        mlflow.activate(spec.model.experiment)
        champion = _champion(spec.model)
        scored_at = dt.datetime.now(dt.UTC)
        with warehouse.connection() as conn:
            rows = spec.to_score(spec.read_features(conn))
            written = spec.replace_predictions(conn, champion, rows, scored_at)
        context.log.info(
            f"scored {written} {spec.scored_rows} with {spec.model.registered_model}"
            f" v{champion.version} ({champion.candidate})"
        )
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": dg.MetadataValue.int(written),
                "model_version": dg.MetadataValue.text(champion.version),
                "model_candidate": dg.MetadataValue.text(champion.candidate),
                "champion_is_baseline": dg.MetadataValue.bool(champion.is_baseline),
                "scored_at": dg.MetadataValue.text(scored_at.isoformat()),
            }
        )

    return [train, score]


couple_model_assets = [
    *gated_model_assets(COUPLE_BUDGET_ASSETS),
    *gated_model_assets(REVIEW_SCORE_ASSETS),
]
