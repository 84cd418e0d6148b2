"""Fit the candidates, choose one on a validation window, and judge them all on a later test window.

Three windows, all by enquiry date: fit (oldest), validation (chooses the candidate), test
(newest; reported, and the rows the champion is re-scored on for promotion). Choosing on the
test window would make the reported test AUC optimistic. Every candidate is refitted on
fit + validation before it is tested, so each has seen everything older than the test window,
and the baselines' test metrics are the fair yardstick the chosen model is reported against.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sklearn.pipeline import Pipeline

from ml.candidates import build_candidates
from ml.evaluation import classification_metrics, temporal_split
from ml.features import LABEL, model_inputs
from ml.threads import one_openmp_thread


@dataclass(frozen=True)
class TrainingResult:
    """The chosen, refitted pipeline, how every candidate did, and the test window."""

    model_name: str
    model: Pipeline
    validation_auc: dict[str, float]
    candidate_test_metrics: dict[str, dict[str, float]]
    train: pd.DataFrame
    test: pd.DataFrame

    @property
    def test_metrics(self) -> dict[str, float]:
        """The chosen model's metrics on the test window."""
        return self.candidate_test_metrics[self.model_name]


def choose_candidate(validation_auc: dict[str, float]) -> str:
    """The candidate with the highest validation ROC AUC (NaN never wins; ties keep order)."""
    scored = {name: auc for name, auc in validation_auc.items() if auc == auc}
    if not scored:
        raise ValueError(f"no candidate has a validation ROC AUC: {validation_auc}")
    return max(scored, key=lambda name: scored[name])


def predict_booking_probability(model: Pipeline, enquiries: pd.DataFrame) -> pd.Series:
    """The model's probability that each enquiry becomes a booking (class 1)."""
    return pd.Series(model.predict_proba(model_inputs(enquiries))[:, 1], index=enquiries.index)


def _score(model: Pipeline, enquiries: pd.DataFrame) -> dict[str, float]:
    return classification_metrics(enquiries[LABEL], predict_booking_probability(model, enquiries))


def train_booking_model(
    labelled: pd.DataFrame, candidate_names: list[str], holdout_fraction: float
) -> TrainingResult:
    """Fit every candidate, choose on validation, refit all, and evaluate on the test window."""
    with one_openmp_thread():
        return _train_booking_model(labelled, candidate_names, holdout_fraction)


def _train_booking_model(
    labelled: pd.DataFrame, candidate_names: list[str], holdout_fraction: float
) -> TrainingResult:
    train, test = temporal_split(labelled, holdout_fraction)
    fit, validation = temporal_split(train, holdout_fraction)
    validation_auc: dict[str, float] = {}
    for name, candidate in build_candidates(candidate_names).items():
        candidate.fit(model_inputs(fit), fit[LABEL])
        validation_auc[name] = _score(candidate, validation)["roc_auc"]
    refitted = build_candidates(candidate_names)
    candidate_test_metrics: dict[str, dict[str, float]] = {}
    for name, candidate in refitted.items():
        candidate.fit(model_inputs(train), train[LABEL])
        candidate_test_metrics[name] = _score(candidate, test)
    model_name = choose_candidate(validation_auc)
    return TrainingResult(
        model_name, refitted[model_name], validation_auc, candidate_test_metrics, train, test
    )
