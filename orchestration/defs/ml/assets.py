"""The booking-probability model and the scores it gives open enquiries.

`ml/booking_probability_model` trains the at-enquiry model on settled rows of
`features.ml_booking_features` (a dbt model), logs a run to MLflow and registers a version,
which becomes `champion` only if a paired bootstrap shows it beats the current one on the
same test enquiries without worse calibration. `predictions/booking_probability` scores every
open enquiry with whichever version is champion, conditioned on the enquiry's age by the
booking-lag hazard, so a worse training never changes what suppliers see.
"""

import datetime as dt

import dagster as dg
from mlflow.tracking import MlflowClient
from pydantic import Field

from ml.candidates import CANDIDATES
from ml.evaluation import EMBARGO_DAYS, WINDOW_DAYS, as_of_date, settled_enquiries
from ml.features import open_enquiries, read_booking_features
from ml.hazard import BookingLagHazard
from ml.publish import train_and_register
from ml.registry import REGISTERED_MODEL, champion_version, load_version
from ml.scoring import replace_predictions, score_enquiries
from orchestration.defs.ingestion.resources import LandingZoneResource
from orchestration.defs.ml.resources import MlflowResource
from orchestration.resources import WarehouseResource
from wedsync.exports import truth_dir

BOOKING_FEATURES = dg.AssetKey(["features", "ml_booking_features"])
BOOKING_MODEL = dg.AssetKey(["ml", "booking_probability_model"])
BOOKING_PREDICTIONS = dg.AssetKey(["predictions", "booking_probability"])


class BookingModelConfig(dg.Config):
    """Which candidates compete, and the windows they are judged on."""

    candidates: list[str] = Field(
        default_factory=lambda: list(CANDIDATES),
        description=f"Candidate models to fit; any of {sorted(CANDIDATES)}.",
    )
    embargo_days: int = Field(
        default=EMBARGO_DAYS,
        description="The newest days whose outcomes are not settled: never used as labels.",
    )
    window_days: int = Field(
        default=WINDOW_DAYS,
        description="Length of the test window (just before the embargo) and of validation.",
    )


def _metrics_metadata(prefix: str, metrics: dict[str, float]) -> dict[str, dg.MetadataValue]:
    return {f"{prefix}_{name}": dg.MetadataValue.float(value) for name, value in metrics.items()}


@dg.asset(
    key=BOOKING_MODEL,
    deps=[BOOKING_FEATURES],
    group_name="ml",
    kinds={"scikitlearn", "mlflow"},
    owners=["team:data-science"],
)
def booking_probability_model(
    context: dg.AssetExecutionContext,
    config: BookingModelConfig,
    warehouse: WarehouseResource,
    landing_zone: LandingZoneResource,
    mlflow: MlflowResource,
) -> dg.MaterializeResult:
    """Train the booking-probability model on labelled enquiries and register it in MLflow.

    Candidates (prior-rate baseline, logistic regression, gradient boosting) are chosen on a
    validation window and tested on the newest enquiries; the new version takes the
    `champion` alias only if it beats the current champion on those same test rows.
    """
    mlflow.activate()
    with warehouse.connection() as conn:
        enquiries = read_booking_features(conn)
    published = train_and_register(
        enquiries,
        config.candidates,
        truth_dir(landing_zone.path),
        config.embargo_days,
        config.window_days,
    )
    decision = published.decision
    context.log.info(f"booking_probability v{published.version}: {decision.reason}")
    metadata: dict[str, dg.MetadataValue] = {
        "model_version": dg.MetadataValue.text(published.version),
        "model": dg.MetadataValue.text(published.result.model_name),
        "alias": dg.MetadataValue.text(decision.alias),
        "promotion": dg.MetadataValue.text(decision.reason),
        "mlflow_run_id": dg.MetadataValue.text(published.run_id),
        "train_rows": dg.MetadataValue.int(len(published.result.train)),
        **{
            name: dg.MetadataValue.text(value)
            for window in ("validation", "test")
            for name, value in published.result.windows.describe(window).items()
        },
        **_metrics_metadata("test", published.result.test_metrics),
        **_metrics_metadata("validation_roc_auc", published.result.validation_auc),
    }
    for name, metrics in published.result.candidate_test_metrics.items():
        metadata.update(_metrics_metadata(f"{name}_test", metrics))
    if decision.champion_auc is not None:
        metadata["champion_test_roc_auc"] = dg.MetadataValue.float(decision.champion_auc)
    if published.oracle is not None:
        metadata.update(_metrics_metadata("oracle", published.oracle))
    if published.oracle_gap is not None:
        metadata.update(_metrics_metadata("test", published.oracle_gap))
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(
    key=BOOKING_PREDICTIONS,
    deps=[BOOKING_MODEL, BOOKING_FEATURES],
    group_name="ml",
    kinds={"postgres", "mlflow"},
    owners=["team:data-science"],
)
def booking_probability_predictions(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, mlflow: MlflowResource
) -> dg.MaterializeResult:
    """predictions.booking_probability: the champion's booking probability for open enquiries.

    Replaced in one transaction each run; `model_version` says which champion scored a row.
    """
    mlflow.activate()
    version = champion_version(MlflowClient())
    if version is None:
        raise dg.Failure(f"registered model {REGISTERED_MODEL!r} has no champion to score with")
    champion = load_version(version)
    scored_at = dt.datetime.now(dt.UTC)
    with warehouse.connection() as conn:
        enquiries = read_booking_features(conn)
        as_of = as_of_date(enquiries)
        settled = settled_enquiries(enquiries, as_of)
        hazard = BookingLagHazard.fit(settled.loc[settled["booked"] == 1, "days_to_booking"])
        scores = score_enquiries(champion, open_enquiries(enquiries), hazard, as_of)
        written = replace_predictions(conn, scores, version, scored_at)
    context.log.info(f"scored {written} open enquiries with booking_probability v{version}")
    metadata: dict[str, dg.MetadataValue] = {
        "dagster/row_count": dg.MetadataValue.int(written),
        "model_version": dg.MetadataValue.text(version),
        "scored_at": dg.MetadataValue.text(scored_at.isoformat()),
        "as_of": dg.MetadataValue.text(f"{as_of:%Y-%m-%d}"),
        "horizon_days": dg.MetadataValue.int(hazard.horizon_days),
        "lag_hazard_bookings": dg.MetadataValue.int(hazard.bookings),
    }
    if written:
        mean_probability = float(scores["probability"].mean())
        metadata["mean_probability"] = dg.MetadataValue.float(mean_probability)
        metadata["mean_probability_at_enquiry"] = dg.MetadataValue.float(
            float(scores["probability_at_enquiry"].mean())
        )
    return dg.MaterializeResult(metadata=metadata)


ml_assets = [booking_probability_model, booking_probability_predictions]
