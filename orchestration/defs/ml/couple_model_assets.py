"""The couple's budget and the booking's review score: two loss-gated models and their scores.

`ml/couple_budget_model` and `ml/review_score_model` each train on their dbt features table,
log an MLflow run and register a version, which becomes `champion` only if a paired bootstrap
of the per-row loss shows it beats the current one on the same test rows (`ml.gated_model`).
`predictions/couple_budget` and `predictions/review_score` score with whichever version is
champion, so a worse training never changes what is served.
"""

import datetime as dt

import dagster as dg
from mlflow.tracking import MlflowClient
from sklearn.pipeline import Pipeline

from ml.couple_budget import (
    COUPLE_BUDGET_MODEL,
    budget_artifacts,
    labelled_couples,
    read_couple_budget_features,
)
from ml.couple_predictions import replace_couple_budgets, replace_review_scores
from ml.gated_model import GatedModelSpec, PublishedGatedModel, train_and_register_gated
from ml.registry import champion_version, load_version
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


def _champion(spec: GatedModelSpec) -> tuple[str, Pipeline]:
    """The champion's version and pipeline; a Failure naming the model before the first one."""
    version = champion_version(MlflowClient(), spec.registered_model)
    if version is None:
        raise dg.Failure(
            f"registered model {spec.registered_model!r} has no champion to score with"
        )
    return version, load_version(version, spec.registered_model)


@dg.asset(
    key=COUPLE_BUDGET_MODEL_KEY,
    deps=[COUPLE_BUDGET_FEATURES],
    group_name="ml",
    kinds={"scikitlearn", "mlflow"},
    owners=["team:data-science"],
)
def couple_budget_model(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, mlflow: MlflowResource
) -> dg.MaterializeResult:
    """Train the couple-budget model (first-enquiry features, stated budget as the label) and
    register it; champion only if it beats the current one's absolute error beyond noise.

    The median budget is a candidate and the yardstick in the metadata (`median_test_*`).
    """
    mlflow.activate(COUPLE_BUDGET_MODEL.experiment)
    with warehouse.connection() as conn:
        couples = labelled_couples(read_couple_budget_features(conn))
    published = train_and_register_gated(COUPLE_BUDGET_MODEL, couples, budget_artifacts)
    context.log.info(f"couple_budget v{published.version}: {published.decision.reason}")
    return dg.MaterializeResult(metadata=_training_metadata(COUPLE_BUDGET_MODEL, published))


@dg.asset(
    key=COUPLE_BUDGET_PREDICTIONS,
    deps=[COUPLE_BUDGET_MODEL_KEY, COUPLE_BUDGET_FEATURES],
    group_name="ml",
    kinds={"postgres", "mlflow"},
    owners=["team:data-science"],
)
def couple_budget_predictions(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, mlflow: MlflowResource
) -> dg.MaterializeResult:
    """predictions.couple_budget: the champion's estimate of every couple's total budget, as at
    their first enquiry. Replaced in one transaction each run."""
    mlflow.activate(COUPLE_BUDGET_MODEL.experiment)
    version, champion = _champion(COUPLE_BUDGET_MODEL)
    scored_at = dt.datetime.now(dt.UTC)
    with warehouse.connection() as conn:
        couples = read_couple_budget_features(conn)
        written = replace_couple_budgets(conn, champion, couples, version, scored_at)
    context.log.info(f"scored {written} couples with couple_budget v{version}")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(written),
            "model_version": dg.MetadataValue.text(version),
            "scored_at": dg.MetadataValue.text(scored_at.isoformat()),
        }
    )


@dg.asset(
    key=REVIEW_SCORE_MODEL_KEY,
    deps=[REVIEW_FEATURES],
    group_name="ml",
    kinds={"scikitlearn", "mlflow"},
    owners=["team:data-science"],
)
def review_score_model(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, mlflow: MlflowResource
) -> dg.MaterializeResult:
    """Train the review-score model (at-booking features, the score the booking got) and
    register it; champion only if it beats the current one's log loss beyond noise.

    The prior share of each score is a candidate and the yardstick (`prior_test_*`).
    """
    mlflow.activate(REVIEW_SCORE_MODEL.experiment)
    with warehouse.connection() as conn:
        reviewed = reviewed_bookings(read_review_features(conn))
    published = train_and_register_gated(REVIEW_SCORE_MODEL, reviewed, review_artifacts)
    context.log.info(f"review_score v{published.version}: {published.decision.reason}")
    return dg.MaterializeResult(metadata=_training_metadata(REVIEW_SCORE_MODEL, published))


@dg.asset(
    key=REVIEW_SCORE_PREDICTIONS,
    deps=[REVIEW_SCORE_MODEL_KEY, REVIEW_FEATURES],
    group_name="ml",
    kinds={"postgres", "mlflow"},
    owners=["team:data-science"],
)
def review_score_predictions(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, mlflow: MlflowResource
) -> dg.MaterializeResult:
    """predictions.review_score: for each standing booking not yet reviewed, the champion's
    expected score and chance of a 4-5 star review. Replaced in one transaction each run."""
    mlflow.activate(REVIEW_SCORE_MODEL.experiment)
    version, champion = _champion(REVIEW_SCORE_MODEL)
    scored_at = dt.datetime.now(dt.UTC)
    with warehouse.connection() as conn:
        waiting = unreviewed_bookings(read_review_features(conn))
        written = replace_review_scores(conn, champion, waiting, version, scored_at)
    context.log.info(f"scored {written} bookings awaiting review with review_score v{version}")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(written),
            "model_version": dg.MetadataValue.text(version),
            "scored_at": dg.MetadataValue.text(scored_at.isoformat()),
        }
    )


couple_model_assets = [
    couple_budget_model,
    couple_budget_predictions,
    review_score_model,
    review_score_predictions,
]
