"""The promotion gate: a paired bootstrap interval, not a strict `>` on a noisy AUC."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from ml.promotion import fast_auc, paired_bootstrap
from ml.registry import CHALLENGER, CHAMPION, decide_promotion


def _world(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=rows)
    probability = 1 / (1 + np.exp(-(signal - 1)))
    return (rng.random(rows) < probability).astype(int), signal


def test_fast_auc_is_the_roc_auc() -> None:
    booked, signal = _world(2_000, 1)
    assert fast_auc(booked, signal) == pytest.approx(roc_auc_score(booked, signal))


def test_a_clearly_better_calibrated_model_is_promoted() -> None:
    booked, signal = _world(4_000, 2)
    rng = np.random.default_rng(3)
    good = 1 / (1 + np.exp(-(signal - 1)))
    noisy = 1 / (1 + np.exp(-(signal + rng.normal(scale=1.5, size=len(signal)) - 1)))
    comparison = paired_bootstrap(booked, good, noisy, resamples=200)
    assert comparison.auc_interval[0] > 0
    assert comparison.challenger_better
    decision = decide_promotion(0.8, 0.7, "1", comparison)
    assert decision.alias == CHAMPION
    assert "paired bootstrap, n=4000" in decision.reason


def test_a_difference_inside_the_noise_is_not_promoted() -> None:
    booked, signal = _world(4_000, 4)
    rng = np.random.default_rng(5)
    one = 1 / (1 + np.exp(-(signal + rng.normal(scale=0.3, size=len(signal)) - 1)))
    other = 1 / (1 + np.exp(-(signal + rng.normal(scale=0.3, size=len(signal)) - 1)))
    comparison = paired_bootstrap(booked, one, other, resamples=200)
    assert comparison.auc_interval[0] < 0 < comparison.auc_interval[1]
    assert decide_promotion(0.71, 0.70, "1", comparison).alias == CHALLENGER


def test_better_ranking_with_worse_calibration_is_not_promoted() -> None:
    rng = np.random.default_rng(6)
    seen, unseen = rng.normal(size=4_000), rng.normal(size=4_000)
    truth = 1 / (1 + np.exp(-(seen + unseen - 1)))
    booked = (rng.random(4_000) < truth).astype(int)
    # The champion sees half the signal and is calibrated on it (probit approximation of the
    # logistic averaged over the unseen half); the challenger ranks perfectly but runs high.
    calibrated = 1 / (1 + np.exp(-(seen - 1) / np.sqrt(1 + np.pi / 8)))
    sharper_but_high = np.clip(truth + 0.15, 0, 1)
    comparison = paired_bootstrap(booked, sharper_but_high, calibrated, resamples=200)
    assert comparison.auc_interval[0] > 0
    assert comparison.ece_interval[0] > 0
    assert not comparison.challenger_better


def test_first_model_is_champion_and_no_comparison_keeps_the_champion() -> None:
    assert decide_promotion(0.55, None).alias == CHAMPION
    assert decide_promotion(0.9, 0.6, "3").alias == CHALLENGER
