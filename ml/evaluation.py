"""Temporal splits and the metrics every booking-probability model is judged by.

The split is by enquiry date, never random: the model is used on enquiries newer than any it
was trained on, so it is judged the same way.
"""

from __future__ import annotations

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

PROBABILITY_FLOOR = 1e-6


def temporal_split(
    enquiries: pd.DataFrame, holdout_fraction: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split into (earlier, later) by `enquiry_date`; the later part holds ~`holdout_fraction`.

    The cut is a date, so all enquiries of one day land on the same side (no leakage of a
    day's conditions into the past).
    """
    if not 0.0 < holdout_fraction < 1.0:
        raise ValueError(f"holdout_fraction must be in (0, 1), got {holdout_fraction}")
    ordered = enquiries.sort_values(["enquiry_date", "enquiry_id"], kind="stable")
    cut_date = ordered["enquiry_date"].iloc[int(len(ordered) * (1.0 - holdout_fraction))]
    earlier = ordered[ordered["enquiry_date"] < cut_date]
    later = ordered[ordered["enquiry_date"] >= cut_date]
    if earlier.empty or later.empty or earlier["booked"].nunique() < 2:
        raise ValueError(
            f"cannot split {len(ordered)} labelled enquiries at {cut_date:%Y-%m-%d}: "
            "need both outcomes before the cut and at least one enquiry after it"
        )
    return earlier, later


def classification_metrics(booked: np.ndarray, probability: np.ndarray) -> dict[str, float]:
    """ROC AUC, PR AUC, Brier, log loss and accuracy at 0.5 of predicted booking probabilities.

    ROC AUC is undefined when the rows hold one outcome only; it is reported as NaN then, so a
    comparison against it is never true (nothing is promoted on such a test set).
    """
    booked = np.asarray(booked, dtype=int)
    probability = np.clip(np.asarray(probability, dtype=float), PROBABILITY_FLOOR, 1.0)
    both_outcomes = len(np.unique(booked)) == 2
    return {
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
