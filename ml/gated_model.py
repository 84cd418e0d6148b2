"""Train, log, register and promote a model judged by a per-row loss (couple budget, review score).

The booking model's recipe (`ml.training`, `ml.publish`) for models whose label is known once
and for all: rows are split by date, never at random - fit (oldest), validation (chooses the
candidate), test (newest; reported, and where the champion is re-scored). Every candidate is
refitted on fit + validation before it is tested, so the baseline's test metrics are the fair
yardstick. The new version becomes `champion` only when a paired bootstrap of the per-row loss
on the same test rows says it beats the current champion (`ml.promotion.paired_loss_bootstrap`),
otherwise `challenger` - the same gate as the booking model's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import mlflow
import mlflow.sklearn
import numpy as np
import pandas as pd
from mlflow.models import infer_signature
from mlflow.tracking import MlflowClient
from sklearn.pipeline import Pipeline

from ml.promotion import LossComparison, paired_loss_bootstrap
from ml.publish import INPUT_EXAMPLE_ROWS, SKOPS_TRUSTED_TYPES
from ml.registry import CHALLENGER, CHAMPION, champion_version, load_version, set_alias
from ml.threads import one_openmp_thread

#: Shares of the labelled rows, newest last, held out for validation and for test.
VALIDATION_SHARE = 0.2
TEST_SHARE = 0.2


@dataclass(frozen=True)
class GatedModelSpec:
    """Everything that differs between two loss-gated models."""

    registered_model: str
    experiment: str
    date_column: str
    label: str
    features: tuple[str, ...]
    candidates: Mapping[str, Callable[[], Pipeline]]
    #: The candidate every other one must beat (median, prior distribution).
    baseline: str
    #: Name of the per-row loss the candidates are chosen and promoted on.
    loss: str
    predict: Callable[[Pipeline, pd.DataFrame], np.ndarray]
    row_loss: Callable[[np.ndarray, np.ndarray], np.ndarray]
    metrics: Callable[[np.ndarray, np.ndarray], dict[str, float]]

    def inputs(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Only the feature columns, in the order the model's signature expects."""
        return frame.loc[:, list(self.features)]


@dataclass(frozen=True)
class DateSplit:
    """Fit, validation and test rows, oldest to newest by the spec's date column."""

    fit: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame

    def describe(self, name: str, date_column: str) -> dict[str, str]:
        """`<name>_from`, `<name>_to` and `<name>_rows` of one part, as text."""
        frame = getattr(self, name)
        return {
            f"{name}_from": f"{pd.Timestamp(frame[date_column].min()):%Y-%m-%d}",
            f"{name}_to": f"{pd.Timestamp(frame[date_column].max()):%Y-%m-%d}",
            f"{name}_rows": str(len(frame)),
        }


def typed_frame(
    frame: pd.DataFrame,
    *,
    numeric: tuple[str, ...],
    categorical: tuple[str, ...],
    dates: tuple[str, ...],
) -> pd.DataFrame:
    """`frame` typed for scikit-learn: numbers (booleans as 0/1, Decimals) as float, categories
    as str (missing stays None), dates as timestamps."""
    typed = frame.copy()
    for column in numeric:
        typed[column] = pd.to_numeric(typed[column].astype("object"), errors="coerce").astype(
            "float64"
        )
    for column in categorical:
        typed[column] = typed[column].astype("str").where(typed[column].notna(), None)
    for column in dates:
        typed[column] = pd.to_datetime(typed[column])
    return typed


def split_by_date(
    labelled: pd.DataFrame,
    date_column: str,
    validation_share: float = VALIDATION_SHARE,
    test_share: float = TEST_SHARE,
) -> DateSplit:
    """The newest `test_share` of rows for test, the `validation_share` before it for
    validation, the rest for fit; one date never straddles two parts."""
    ordered = labelled.sort_values(date_column, kind="stable")
    dates = pd.to_datetime(ordered[date_column])
    test_from = dates.quantile(1 - test_share, interpolation="higher")
    validation_from = dates.quantile(1 - test_share - validation_share, interpolation="higher")
    split = DateSplit(
        fit=ordered[dates < validation_from],
        validation=ordered[(dates >= validation_from) & (dates < test_from)],
        test=ordered[dates >= test_from],
    )
    for name in ("fit", "validation", "test"):
        if getattr(split, name).empty:
            raise ValueError(
                f"the {name} part of {len(labelled)} labelled rows split by {date_column} is empty"
            )
    return split


@dataclass(frozen=True)
class GatedTraining:
    """The chosen, refitted pipeline, how every candidate did, and the split."""

    model_name: str
    model: Pipeline
    validation_loss: dict[str, float]
    candidate_test_metrics: dict[str, dict[str, float]]
    split: DateSplit

    @property
    def train(self) -> pd.DataFrame:
        """What the reported model was fitted on: the fit and validation rows."""
        return pd.concat([self.split.fit, self.split.validation])

    @property
    def test_metrics(self) -> dict[str, float]:
        """The chosen model's metrics on the test rows."""
        return self.candidate_test_metrics[self.model_name]


def train_gated_model(spec: GatedModelSpec, labelled: pd.DataFrame) -> GatedTraining:
    """Fit every candidate, choose on validation (`choose_candidate`), refit all on
    fit + validation, and measure each on the test rows."""
    split = split_by_date(labelled, spec.date_column)
    train = pd.concat([split.fit, split.validation])
    truth = split.validation[spec.label].to_numpy()
    validation_row_loss: dict[str, np.ndarray] = {}
    refitted: dict[str, Pipeline] = {}
    test_metrics: dict[str, dict[str, float]] = {}
    with one_openmp_thread():
        for name, build in spec.candidates.items():
            candidate = build().fit(spec.inputs(split.fit), split.fit[spec.label])
            predicted = spec.predict(candidate, split.validation)
            validation_row_loss[name] = spec.row_loss(truth, predicted)
            refitted[name] = build().fit(spec.inputs(train), train[spec.label])
            test_metrics[name] = spec.metrics(
                split.test[spec.label].to_numpy(), spec.predict(refitted[name], split.test)
            )
    model_name = choose_candidate(spec, validation_row_loss)
    validation_loss = {name: float(loss.mean()) for name, loss in validation_row_loss.items()}
    return GatedTraining(model_name, refitted[model_name], validation_loss, test_metrics, split)


def choose_candidate(spec: GatedModelSpec, validation_row_loss: dict[str, np.ndarray]) -> str:
    """The candidate with the lowest validation loss, if it beats the baseline beyond noise
    (the promotion gate's paired bootstrap); otherwise the baseline. On a few hundred rows the
    lowest loss is often a flexible model's luck, and the baseline is the honest answer then."""
    best = min(validation_row_loss, key=lambda name: float(validation_row_loss[name].mean()))
    if best == spec.baseline:
        return best
    comparison = paired_loss_bootstrap(
        spec.loss, validation_row_loss[best], validation_row_loss[spec.baseline]
    )
    return best if comparison.challenger_better else spec.baseline


@dataclass(frozen=True)
class LossPromotion:
    """Which alias the new version gets, and the paired comparison it rests on."""

    alias: str
    champion_version: str | None
    comparison: LossComparison | None

    @property
    def reason(self) -> str:
        """One line for logs and tags."""
        if self.champion_version is None:
            return "no champion yet: new version is champion"
        verdict = "beats" if self.alias == CHAMPION else "does not beat"
        evidence = "" if self.comparison is None else f": {self.comparison.describe()}"
        return (
            f"new version {verdict} champion v{self.champion_version} on the same test "
            f"rows{evidence}"
        )


def decide_loss_promotion(champion: str | None, comparison: LossComparison | None) -> LossPromotion:
    """Champion if there is none, or if the comparison says the new one is better; else not."""
    promote = champion is None or (comparison is not None and comparison.challenger_better)
    return LossPromotion(CHAMPION if promote else CHALLENGER, champion, comparison)


def compare_with_champion(
    spec: GatedModelSpec, training: GatedTraining, client: MlflowClient
) -> LossPromotion:
    """Re-score the current champion on the new test rows and decide the new version's alias."""
    version = champion_version(client, spec.registered_model)
    if version is None:
        return decide_loss_promotion(None, None)
    test = training.split.test
    truth = test[spec.label].to_numpy()
    champion = load_version(version, spec.registered_model)
    champion_loss = spec.row_loss(truth, spec.predict(champion, test))
    challenger_loss = spec.row_loss(truth, spec.predict(training.model, test))
    return decide_loss_promotion(
        version, paired_loss_bootstrap(spec.loss, challenger_loss, champion_loss)
    )


@dataclass(frozen=True)
class PublishedGatedModel:
    """What one training produced: the registered version, its metrics and its alias."""

    run_id: str
    version: str
    training: GatedTraining
    decision: LossPromotion


def train_and_register_gated(
    spec: GatedModelSpec,
    labelled: pd.DataFrame,
    artifacts: Callable[[np.ndarray, np.ndarray], dict[str, pd.DataFrame]],
) -> PublishedGatedModel:
    """Train on labelled rows, log one MLflow run, register and promote the new version.

    `artifacts` turns the chosen model's test labels and predictions into named tables (decile
    and reliability tables) logged as JSON. MLflow must already point at the tracking server and
    the spec's experiment (`ml.registry.use_tracking`).
    """
    training = train_gated_model(spec, labelled)
    client = MlflowClient()
    decision = compare_with_champion(spec, training, client)
    split = training.split
    with mlflow.start_run(run_name=f"{spec.registered_model}-{training.model_name}") as run:
        mlflow.log_params(
            {
                "model": training.model_name,
                "baseline": spec.baseline,
                "candidates": ",".join(spec.candidates),
                "loss": spec.loss,
                "features": ",".join(spec.features),
                **split.describe("fit", spec.date_column),
                **split.describe("validation", spec.date_column),
                **split.describe("test", spec.date_column),
            }
        )
        mlflow.log_metrics({f"test_{name}": v for name, v in training.test_metrics.items()})
        mlflow.log_metrics(
            {f"validation_{spec.loss}_{name}": v for name, v in training.validation_loss.items()}
        )
        for name, metrics in training.candidate_test_metrics.items():
            mlflow.log_metrics({f"{name}_test_{metric}": v for metric, v in metrics.items()})
        if decision.comparison is not None:
            comparison = decision.comparison
            mlflow.log_metrics(
                {
                    "promotion_improvement": comparison.improvement,
                    "promotion_improvement_low": comparison.interval[0],
                    "promotion_improvement_high": comparison.interval[1],
                }
            )
        test_prediction = spec.predict(training.model, split.test)
        for name, table in artifacts(split.test[spec.label].to_numpy(), test_prediction).items():
            mlflow.log_dict(table.to_dict(orient="records"), f"{name}.json")
        inputs = spec.inputs(training.train)
        example = inputs.head(INPUT_EXAMPLE_ROWS)
        info = mlflow.sklearn.log_model(
            training.model,
            name="model",
            signature=infer_signature(inputs, spec.predict(training.model, example)),
            input_example=example,
            registered_model_name=spec.registered_model,
            pip_requirements=mlflow.sklearn.get_default_pip_requirements(),
            skops_trusted_types=SKOPS_TRUSTED_TYPES,
        )
        version = str(info.registered_model_version)
        set_alias(client, decision, version, spec.registered_model)
        mlflow.set_tags({"promotion_alias": decision.alias, "promotion": decision.reason})
    return PublishedGatedModel(run.info.run_id, version, training, decision)


@dataclass(frozen=True)
class Champion:
    """The version a prediction table is scored with, and what it is: the candidate the
    training chose and whether that is the spec's baseline (the gate kept the yardstick)."""

    registered_model: str
    version: str
    candidate: str
    baseline: str
    pipeline: Pipeline

    @property
    def is_baseline(self) -> bool:
        """True when the champion is the baseline itself (median, prior): no model beat it."""
        return self.candidate == self.baseline


def load_champion(spec: GatedModelSpec, client: MlflowClient) -> Champion | None:
    """The spec's champion with the candidate its run logged; None before the first one."""
    version = champion_version(client, spec.registered_model)
    if version is None:
        return None
    registered = client.get_model_version(spec.registered_model, version)
    params = client.get_run(str(registered.run_id)).data.params
    return Champion(
        registered_model=spec.registered_model,
        version=version,
        candidate=params["model"],
        baseline=params.get("baseline", spec.baseline),
        pipeline=load_version(version, spec.registered_model),
    )
