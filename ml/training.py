"""Fit the candidates, choose one on a validation window, and judge them all on a later test window.

The at-enquiry booking model: its inputs are only what is known when the enquiry arrives
(`ml.features.FEATURE_COLUMNS`). Three windows, all by enquiry date and all settled
(`ml.evaluation.moving_windows`): fit (oldest), validation (chooses the candidate), test
(newest settled; reported, and the rows the champion is re-scored on for promotion). Choosing
on the test window would make the reported test AUC optimistic. Every candidate is refitted
on fit + validation before it is tested, so each has seen everything older than the test
window, and the baselines' test metrics are the fair yardstick the chosen model is reported
against.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sklearn.pipeline import Pipeline

from ml.candidates import build_candidates
from ml.evaluation import EMBARGO_DAYS, WINDOW_DAYS, Windows, classification_metrics, moving_windows
from ml.features import LABEL, model_inputs
from ml.threads import one_openmp_thread


@dataclass(frozen=True)
class TrainingResult:
    """The chosen, refitted pipeline, how every candidate did, and the windows."""

    model_name: str
    model: Pipeline
    validation_auc: dict[str, float]
    candidate_test_metrics: dict[str, dict[str, float]]
    windows: Windows

    @property
    def train(self) -> pd.DataFrame:
        """What the reported model was fitted on: the fit and validation windows."""
        return pd.concat([self.windows.fit, self.windows.validation])

    @property
    def test(self) -> pd.DataFrame:
        """The test window: the newest settled enquiries."""
        return self.windows.test

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
    """The model's probability that each enquiry becomes a booking (class 1).

    Only the columns the model was fitted on are passed, so a champion registered before a
    feature was added still scores today's table.
    """
    columns = list(getattr(model, "feature_names_in_", model_inputs(enquiries).columns))
    return pd.Series(model.predict_proba(enquiries.loc[:, columns])[:, 1], index=enquiries.index)


def _score(model: Pipeline, enquiries: pd.DataFrame) -> dict[str, float]:
    return classification_metrics(enquiries[LABEL], predict_booking_probability(model, enquiries))


def train_booking_model(
    enquiries: pd.DataFrame,
    candidate_names: list[str],
    embargo_days: int = EMBARGO_DAYS,
    window_days: int = WINDOW_DAYS,
) -> TrainingResult:
    """Fit every candidate, choose on validation, refit all, and evaluate on the test window.

    `enquiries` is the whole features table (open ones included: they fix today's date).
    """
    with one_openmp_thread():
        windows = moving_windows(enquiries, embargo_days, window_days)
        validation_auc: dict[str, float] = {}
        for name, candidate in build_candidates(candidate_names).items():
            candidate.fit(model_inputs(windows.fit), windows.fit[LABEL])
            validation_auc[name] = _score(candidate, windows.validation)["roc_auc"]
        refitted = build_candidates(candidate_names)
        train = pd.concat([windows.fit, windows.validation])
        candidate_test_metrics: dict[str, dict[str, float]] = {}
        for name, candidate in refitted.items():
            candidate.fit(model_inputs(train), train[LABEL])
            candidate_test_metrics[name] = _score(candidate, windows.test)
    model_name = choose_candidate(validation_auc)
    return TrainingResult(
        model_name, refitted[model_name], validation_auc, candidate_test_metrics, windows
    )
