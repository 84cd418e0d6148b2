"""Settled, moving time windows and the metrics every booking-probability model is judged by.

The split is by enquiry date, never random: the model is used on enquiries newer than any it
was trained on, so it is judged the same way. The newest `EMBARGO_DAYS` are never a label:
their enquiries are labelled only if they have booked already (the rest are still open), so a
window reaching into them would report a booking rate that does not exist. The windows are
counted back from the embargo, so they move with every build.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    brier_score_loss,
    log_loss,
    roc_auc_score,
)

from ml.features import LABEL

PROBABILITY_FLOOR = 1e-6
#: An enquiry's outcome settles within this many days (every booking comes within about 55
#: days; dbt's `open_enquiry_days` is the same 60): younger enquiries are never labels.
EMBARGO_DAYS = 60
#: Length of the test and of the validation window, each ending where the next starts.
WINDOW_DAYS = 120
#: Equal-count bins for the expected calibration error.
CALIBRATION_BINS = 10


@dataclass(frozen=True)
class Windows:
    """Fit, validation and test enquiries by date, all settled, and where each window starts."""

    fit: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame
    as_of: pd.Timestamp

    def describe(self, name: str) -> dict[str, str]:
        """`<name>_from`, `<name>_to` (inclusive) and `<name>_rows` of one window, as text."""
        frame = getattr(self, name)
        return {
            f"{name}_from": f"{frame['enquiry_date'].min():%Y-%m-%d}",
            f"{name}_to": f"{frame['enquiry_date'].max():%Y-%m-%d}",
            f"{name}_rows": str(len(frame)),
        }


def as_of_date(enquiries: pd.DataFrame) -> pd.Timestamp:
    """The day the features describe: the day after the newest enquiry."""
    return pd.Timestamp(enquiries["enquiry_date"].max()) + pd.Timedelta(days=1)


def settled_enquiries(
    enquiries: pd.DataFrame, as_of: pd.Timestamp, embargo_days: int = EMBARGO_DAYS
) -> pd.DataFrame:
    """Labelled enquiries made at least `embargo_days` before `as_of`: outcomes that are final."""
    cut = as_of - pd.Timedelta(days=embargo_days)
    settled = enquiries[
        (enquiries["enquiry_date"] < cut) & enquiries["outcome"].isin(["booked", "lost"])
    ].copy()
    settled[LABEL] = settled[LABEL].astype("int64")
    return settled


def moving_windows(
    enquiries: pd.DataFrame,
    embargo_days: int = EMBARGO_DAYS,
    window_days: int = WINDOW_DAYS,
) -> Windows:
    """Test: the `window_days` before the embargo; validation: the `window_days` before that;
    fit: everything older. Raises `ValueError` when a window is empty or one-sided."""
    as_of = as_of_date(enquiries)
    settled = settled_enquiries(enquiries, as_of, embargo_days)
    test_from = as_of - pd.Timedelta(days=embargo_days + window_days)
    validation_from = test_from - pd.Timedelta(days=window_days)
    dates = settled["enquiry_date"]
    windows = Windows(
        fit=settled[dates < validation_from],
        validation=settled[(dates >= validation_from) & (dates < test_from)],
        test=settled[dates >= test_from],
        as_of=as_of,
    )
    for name in ("fit", "validation", "test"):
        frame = getattr(windows, name)
        if frame.empty or frame[LABEL].nunique() < 2:
            raise ValueError(
                f"the {name} window holds {len(frame)} settled enquiries with "
                f"{frame[LABEL].nunique() if len(frame) else 0} outcome(s): need both outcomes "
                f"(as of {as_of:%Y-%m-%d}, embargo {embargo_days} days, windows {window_days} days)"
            )
    return windows


def expected_calibration_error(
    booked: np.ndarray, probability: np.ndarray, bins: int = CALIBRATION_BINS
) -> float:
    """Mean |observed rate - mean predicted| over equal-count bins, weighted by bin size."""
    booked = np.asarray(booked, dtype=float)
    probability = np.asarray(probability, dtype=float)
    order = np.argsort(probability, kind="stable")
    error = 0.0
    for part in np.array_split(order, min(bins, len(order))):
        error += len(part) * abs(booked[part].mean() - probability[part].mean())
    return float(error / len(order)) if len(order) else float("nan")


def calibration_metrics(booked: np.ndarray, probability: np.ndarray) -> dict[str, float]:
    """Mean predicted against the real booking rate, and the expected calibration error."""
    booked = np.asarray(booked, dtype=float)
    probability = np.asarray(probability, dtype=float)
    return {
        "mean_predicted": float(probability.mean()),
        "booking_rate": float(booked.mean()),
        "calibration_in_the_large": float(probability.mean() - booked.mean()),
        "ece": expected_calibration_error(booked, probability),
    }


def classification_metrics(booked: np.ndarray, probability: np.ndarray) -> dict[str, float]:
    """ROC AUC, PR AUC, Brier, log loss and accuracy at 0.5 of predicted booking probabilities.

    ROC AUC is undefined when the rows hold one outcome only; it is reported as NaN then, so a
    comparison against it is never true (nothing is promoted on such a test set).
    """
    booked = np.asarray(booked, dtype=int)
    probability = np.clip(np.asarray(probability, dtype=float), PROBABILITY_FLOOR, 1.0)
    both_outcomes = len(np.unique(booked)) == 2
    return {
        **calibration_metrics(booked, probability),
        "rows": float(len(booked)),
        "roc_auc": float(roc_auc_score(booked, probability)) if both_outcomes else float("nan"),
        "pr_auc": float(average_precision_score(booked, probability))
        if both_outcomes
        else float("nan"),
        "brier": float(brier_score_loss(booked, probability)),
        "log_loss": float(log_loss(booked, probability, labels=[0, 1])),
        "accuracy": float(accuracy_score(booked, probability >= 0.5)),
    }


def calibration_figure(booked: np.ndarray, probability: np.ndarray, title: str) -> Figure:
    """Reliability diagram (predicted vs observed booking rate per decile) for MLflow."""
    observed, predicted = calibration_curve(booked, probability, n_bins=10, strategy="quantile")
    figure = Figure(figsize=(5, 5))
    axes = figure.subplots()
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfectly calibrated")
    axes.plot(predicted, observed, marker="o", label="model")
    axes.set_xlabel("predicted booking probability")
    axes.set_ylabel("observed booking rate")
    axes.set_title(title)
    axes.legend(loc="upper left")
    return figure


def by_prediction_decile(predicted: np.ndarray, actual: np.ndarray) -> pd.DataFrame:
    """Per equal-count decile of the prediction: rows, mean predicted and mean actual value.

    The calibration table every model prints: a calibrated model's two means agree in each.
    """
    frame = pd.DataFrame(
        {"predicted": np.asarray(predicted, dtype=float), "actual": np.asarray(actual, dtype=float)}
    )
    bins = min(CALIBRATION_BINS, len(frame))
    frame["decile"] = pd.qcut(frame["predicted"].rank(method="first"), bins, labels=False) + 1
    return (
        frame.groupby("decile")
        .agg(rows=("actual", "size"), predicted=("predicted", "mean"), actual=("actual", "mean"))
        .reset_index()
    )
