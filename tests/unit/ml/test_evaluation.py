"""Temporal split and metrics: the rules every booking model is judged by."""

import math

import numpy as np
import pandas as pd
import pytest

from ml.evaluation import calibration_figure, classification_metrics, temporal_split


def _enquiries(days: list[int], booked: list[int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "enquiry_id": [f"enq_{i:07d}" for i in range(len(days))],
            "enquiry_date": pd.to_datetime("2025-01-01") + pd.to_timedelta(days, "D"),
            "booked": booked,
        }
    )


def test_temporal_split_puts_the_newest_enquiries_in_the_holdout() -> None:
    enquiries = _enquiries(list(range(10)), [0, 1] * 5)
    earlier, later = temporal_split(enquiries.sample(frac=1.0, random_state=1), 0.2)
    assert later["enquiry_date"].min() > earlier["enquiry_date"].max()
    assert len(later) == 2 and len(earlier) == 8


def test_temporal_split_keeps_one_day_on_one_side() -> None:
    enquiries = _enquiries([0, 0, 1, 1, 2, 2, 3, 3, 3, 3], [0, 1] * 5)
    earlier, later = temporal_split(enquiries, 0.3)
    assert set(later["enquiry_date"].dt.day) == {4}
    assert len(later) == 4 and len(earlier) == 6


def test_temporal_split_refuses_a_training_window_with_one_outcome() -> None:
    enquiries = _enquiries(list(range(10)), [0] * 8 + [1, 1])
    with pytest.raises(ValueError, match="both outcomes"):
        temporal_split(enquiries, 0.2)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1])
def test_temporal_split_rejects_a_fraction_outside_the_unit_interval(fraction: float) -> None:
    with pytest.raises(ValueError, match="holdout_fraction"):
        temporal_split(_enquiries([0, 1], [0, 1]), fraction)


def test_metrics_of_a_perfect_ranking() -> None:
    metrics = classification_metrics(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9]))
    assert metrics["roc_auc"] == 1.0
    assert metrics["pr_auc"] == 1.0
    assert metrics["accuracy"] == 1.0
    assert metrics["brier"] == pytest.approx((0.01 + 0.04 + 0.04 + 0.01) / 4)


def test_metrics_survive_certain_wrong_predictions() -> None:
    metrics = classification_metrics(np.array([0, 1]), np.array([1.0, 0.0]))
    assert math.isfinite(metrics["log_loss"])
    assert metrics["roc_auc"] == 0.0


def test_roc_auc_is_nan_when_every_enquiry_had_the_same_outcome() -> None:
    metrics = classification_metrics(np.array([1, 1, 1]), np.array([0.2, 0.5, 0.9]))
    assert math.isnan(metrics["roc_auc"])
    assert metrics["accuracy"] == pytest.approx(2 / 3)


def test_calibration_figure_plots_the_diagonal_and_the_model() -> None:
    rng = np.random.default_rng(0)
    probability = rng.random(500)
    booked = (rng.random(500) < probability).astype(int)
    figure = calibration_figure(booked, probability, "test")
    (axes,) = figure.axes
    assert [line.get_label() for line in axes.get_lines()] == ["perfectly calibrated", "model"]
