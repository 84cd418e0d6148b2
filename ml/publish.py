"""One training of the booking model, end to end: fit, log to MLflow, register, promote.

Each call is one MLflow run holding the candidates' validation AUCs, the chosen model's test
metrics (calibration at arrival included), a calibration plot, the oracle's metrics when a
truth file exists, the model itself (a pipeline over the at-enquiry feature columns) and the
promotion decision with its paired bootstrap interval. Every window is logged as parameters
(`<window>_from`, `<window>_to`, `<window>_rows`), so each metric names its window and its n.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import mlflow
import mlflow.sklearn
import pandas as pd
from mlflow.models import infer_signature
from mlflow.tracking import MlflowClient

from ml.evaluation import calibration_figure, classification_metrics
from ml.features import LABEL, model_inputs
from ml.oracle import gap_to_oracle, oracle_metrics
from ml.promotion import PairedComparison, paired_bootstrap
from ml.registry import (
    REGISTERED_MODEL,
    PromotionDecision,
    champion_version,
    decide_promotion,
    load_version,
    set_alias,
)
from ml.training import TrainingResult, predict_booking_probability, train_booking_model

INPUT_EXAMPLE_ROWS = 5
#: skops (MLflow's safe default format) refuses to reload any type not listed. We trust only
#: what our own candidates hold, since we write these files ourselves: the encoders' output
#: `numpy.dtype`, boosting's tree predictors, and the `partial(check_array)` its internal
#: categorical preprocessor keeps for numeric columns.
SKOPS_TRUSTED_TYPES = [
    "numpy.dtype",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "functools.partial",
    "sklearn.utils.validation.check_array",
]


@dataclass(frozen=True)
class PublishedModel:
    """What one training produced: the registered version, its metrics and its alias."""

    run_id: str
    version: str
    result: TrainingResult
    decision: PromotionDecision
    oracle: dict[str, float] | None

    @property
    def oracle_gap(self) -> dict[str, float] | None:
        """AUC gap and Brier ratio to the oracle on the same test rows (None without truth)."""
        return None if self.oracle is None else gap_to_oracle(self.result.test_metrics, self.oracle)


def _compare_with_champion(
    result: TrainingResult, client: MlflowClient
) -> tuple[float | None, str | None, PairedComparison | None]:
    """The champion's test AUC, version, and the paired comparison with the new model on the
    same test rows (all None before the first model)."""
    version = champion_version(client)
    if version is None:
        return None, None, None
    test = result.test
    champion = predict_booking_probability(load_version(version), test)
    challenger = predict_booking_probability(result.model, test)
    comparison = paired_bootstrap(
        test[LABEL].to_numpy(), challenger.to_numpy(), champion.to_numpy()
    )
    return classification_metrics(test[LABEL], champion)["roc_auc"], version, comparison


def _log_model(result: TrainingResult) -> str:
    """Log the pipeline with signature and input example, register it; return the version."""
    # The signature comes from every training row, so a column that is sometimes empty (no
    # first response yet) is marked optional rather than rejected at serving time.
    inputs = model_inputs(result.train)
    example = inputs.head(INPUT_EXAMPLE_ROWS)
    signature = infer_signature(inputs, result.model.predict_proba(example))
    info = mlflow.sklearn.log_model(
        result.model,
        name="model",
        signature=signature,
        input_example=example,
        registered_model_name=REGISTERED_MODEL,
        pyfunc_predict_fn="predict_proba",
        pip_requirements=mlflow.sklearn.get_default_pip_requirements(),
        skops_trusted_types=SKOPS_TRUSTED_TYPES,
    )
    return str(info.registered_model_version)


def train_and_register(
    enquiries: pd.DataFrame,
    candidate_names: list[str],
    truth_dir: Path,
    embargo_days: int,
    window_days: int,
) -> PublishedModel:
    """Train on settled enquiries, log one MLflow run, register and promote the new version.

    `enquiries` is the whole features table. MLflow must already point at the tracking server
    and experiment (`ml.registry.use_tracking`).
    """
    result = train_booking_model(enquiries, candidate_names, embargo_days, window_days)
    client = MlflowClient()
    champion_auc, current_champion, comparison = _compare_with_champion(result, client)
    decision = decide_promotion(
        result.test_metrics["roc_auc"], champion_auc, current_champion, comparison
    )
    oracle = oracle_metrics(result.test, truth_dir)
    windows = result.windows
    with mlflow.start_run(run_name=f"booking-probability-{result.model_name}") as run:
        mlflow.log_params(
            {
                "model": result.model_name,
                "scored_at": "enquiry arrival (no reply features)",
                "candidates": ",".join(candidate_names),
                "as_of": f"{windows.as_of:%Y-%m-%d}",
                "embargo_days": embargo_days,
                "window_days": window_days,
                **windows.describe("fit"),
                **windows.describe("validation"),
                **windows.describe("test"),
                "train_booking_rate": round(float(result.train[LABEL].mean()), 4),
            }
        )
        mlflow.log_metrics({f"test_{name}": value for name, value in result.test_metrics.items()})
        mlflow.log_metrics(
            {f"validation_roc_auc_{name}": auc for name, auc in result.validation_auc.items()}
        )
        for name, metrics in result.candidate_test_metrics.items():
            mlflow.log_metrics({f"{name}_test_{metric}": v for metric, v in metrics.items()})
        if oracle is not None:
            mlflow.log_metrics({f"oracle_{name}": value for name, value in oracle.items()})
            mlflow.log_metrics(gap_to_oracle(result.test_metrics, oracle))
        if champion_auc is not None and not math.isnan(champion_auc):
            mlflow.log_metric("champion_test_roc_auc", champion_auc)
        if comparison is not None:
            mlflow.log_metrics(
                {
                    "promotion_auc_difference": comparison.auc_difference,
                    "promotion_auc_difference_low": comparison.auc_interval[0],
                    "promotion_auc_difference_high": comparison.auc_interval[1],
                    "promotion_ece_difference": comparison.ece_difference,
                    "promotion_ece_difference_low": comparison.ece_interval[0],
                    "promotion_ece_difference_high": comparison.ece_interval[1],
                }
            )
        test_probability = predict_booking_probability(result.model, result.test)
        mlflow.log_figure(
            calibration_figure(
                result.test[LABEL].to_numpy(),
                test_probability.to_numpy(),
                f"{result.model_name}: test calibration",
            ),
            "calibration.png",
        )
        version = _log_model(result)
        set_alias(client, decision, version)
        mlflow.set_tags({"promotion_alias": decision.alias, "promotion": decision.reason})
    return PublishedModel(run.info.run_id, version, result, decision, oracle)
