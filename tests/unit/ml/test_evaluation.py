"""Settled moving windows and metrics: the rules every booking model is judged by."""

import math

import numpy as np
import pandas as pd
import pytest

from ml.evaluation import (
    as_of_date,
    calibration_figure,
    calibration_metrics,
    classification_metrics,
    expected_calibration_error,
    moving_windows,
    settled_enquiries,
)


def _enquiries(
    days: list[int], booked: list[int], outcome: list[str] | None = None
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "enquiry_id": [f"enq_{i:07d}" for i in range(len(days))],
            "enquiry_date": pd.to_datetime("2025-01-01") + pd.to_timedelta(days, "D"),
            "booked": booked,
            "outcome": outcome or ["booked" if b else "lost" for b in booked],
        }
    )


def test_embargo_keeps_every_label_that_is_still_open_out() -> None:
    # Day 99 is the newest enquiry; as of day 100, the last 60 days are not settled, even the
    # enquiries among them that have booked already (their lost neighbours are still open).
    days = list(range(100))
    booked = [day % 3 == 0 for day in days]
    outcome = [
        "booked" if b else ("open" if day >= 40 else "lost")
        for day, b in zip(days, booked, strict=True)
    ]
    enquiries = _enquiries(days, [int(b) for b in booked], outcome)
    settled = settled_enquiries(enquiries, as_of_date(enquiries))
    assert settled["enquiry_date"].max() == pd.Timestamp("2025-01-01") + pd.Timedelta(days=39)
    assert set(settled["outcome"]) == {"booked", "lost"}
    assert settled["booked"].mean() == pytest.approx(14 / 40)


def test_windows_move_back_from_the_embargo_and_do_not_overlap() -> None:
    days = list(range(400))
    enquiries = _enquiries(days, [day % 2 for day in days])
    windows = moving_windows(enquiries, embargo_days=60, window_days=100)
    start = pd.Timestamp("2025-01-01")
    assert windows.as_of == start + pd.Timedelta(days=400)
    assert windows.test["enquiry_date"].min() == start + pd.Timedelta(days=240)
    assert windows.test["enquiry_date"].max() == start + pd.Timedelta(days=339)
    assert windows.validation["enquiry_date"].min() == start + pd.Timedelta(days=140)
    assert windows.fit["enquiry_date"].max() == start + pd.Timedelta(days=139)
    assert windows.describe("test") == {
        "test_from": "2025-08-29",
        "test_to": "2025-12-06",
        "test_rows": "100",
    }
    later = moving_windows(_enquiries(list(range(430)), [d % 2 for d in range(430)]), 60, 100)
    assert later.test["enquiry_date"].min() == start + pd.Timedelta(days=270)


def test_windows_refuse_a_window_with_one_outcome() -> None:
    days = list(range(400))
    with pytest.raises(ValueError, match="test window"):
        booked = [day % 2 if day < 240 else 0 for day in days]
        moving_windows(_enquiries(days, booked), embargo_days=60, window_days=100)


def test_expected_calibration_error_of_calibrated_and_shifted_scores() -> None:
    rng = np.random.default_rng(0)
    probability = rng.uniform(0.05, 0.6, 40_000)
    booked = (rng.random(40_000) < probability).astype(int)
    assert expected_calibration_error(booked, probability) < 0.01
    assert expected_calibration_error(booked, probability + 0.1) == pytest.approx(0.1, abs=0.01)
    metrics = calibration_metrics(booked, probability + 0.1)
    assert metrics["calibration_in_the_large"] == pytest.approx(0.1, abs=0.01)


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
