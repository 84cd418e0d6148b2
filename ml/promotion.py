"""Whether a challenger is really better than the champion: a paired bootstrap on one window.

A strict `>` on test AUC promotes noise (its standard error is about 0.005 at our sizes). The
two models score the same test enquiries; resampling those enquiries with replacement, the
same resample for both, gives an interval of the AUC difference that accounts for the
correlation between them. The challenger is promoted only when that interval lies above zero
AND its calibration is not worse: the interval of the ECE difference must not lie above zero.

Models judged by a per-row loss (the couple-budget and review-score models) use the same test:
`paired_loss_bootstrap` resamples the rows' losses, and the challenger wins only when the
interval of (champion loss - challenger loss) lies above zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

from ml.evaluation import expected_calibration_error

BOOTSTRAP_RESAMPLES = 400
INTERVAL = 0.95
BOOTSTRAP_SEED = 12


@dataclass(frozen=True)
class PairedComparison:
    """Challenger minus champion on the same rows: AUC and ECE differences with intervals."""

    rows: int
    auc_difference: float
    auc_interval: tuple[float, float]
    ece_difference: float
    ece_interval: tuple[float, float]

    @property
    def challenger_better(self) -> bool:
        """The AUC interval excludes zero on the good side and calibration is not worse."""
        return self.auc_interval[0] > 0 and self.ece_interval[0] <= 0

    def describe(self) -> str:
        """One line for logs, tags and metadata."""
        return (
            f"AUC {self.auc_difference:+.4f} [{self.auc_interval[0]:+.4f}, "
            f"{self.auc_interval[1]:+.4f}], ECE {self.ece_difference:+.4f} "
            f"[{self.ece_interval[0]:+.4f}, {self.ece_interval[1]:+.4f}] "
            f"({INTERVAL:.0%} paired bootstrap, n={self.rows})"
        )


def fast_auc(booked: np.ndarray, probability: np.ndarray) -> float:
    """ROC AUC by the rank-sum (Mann-Whitney) formula, ties shared; NaN with one outcome."""
    positives = int(booked.sum())
    negatives = len(booked) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = rankdata(probability)
    return float(
        (ranks[booked == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives)
    )


def paired_bootstrap(
    booked: np.ndarray,
    challenger: np.ndarray,
    champion: np.ndarray,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> PairedComparison:
    """AUC and ECE of challenger minus champion on the same rows, with percentile intervals."""
    booked = np.asarray(booked, dtype=int)
    challenger = np.asarray(challenger, dtype=float)
    champion = np.asarray(champion, dtype=float)
    rng = np.random.default_rng(seed)
    auc_differences, ece_differences = [], []
    for _ in range(resamples):
        rows = rng.integers(0, len(booked), len(booked))
        auc_differences.append(
            fast_auc(booked[rows], challenger[rows]) - fast_auc(booked[rows], champion[rows])
        )
        ece_differences.append(
            expected_calibration_error(booked[rows], challenger[rows])
            - expected_calibration_error(booked[rows], champion[rows])
        )
    tail = (1 - INTERVAL) / 2 * 100
    auc_low, auc_high = np.nanpercentile(auc_differences, [tail, 100 - tail])
    ece_low, ece_high = np.nanpercentile(ece_differences, [tail, 100 - tail])
    return PairedComparison(
        rows=len(booked),
        auc_difference=fast_auc(booked, challenger) - fast_auc(booked, champion),
        auc_interval=(float(auc_low), float(auc_high)),
        ece_difference=expected_calibration_error(booked, challenger)
        - expected_calibration_error(booked, champion),
        ece_interval=(float(ece_low), float(ece_high)),
    )


@dataclass(frozen=True)
class LossComparison:
    """Champion minus challenger mean loss on the same rows (positive: challenger better)."""

    loss: str
    rows: int
    improvement: float
    interval: tuple[float, float]

    @property
    def challenger_better(self) -> bool:
        """The whole interval of the improvement lies above zero."""
        return self.interval[0] > 0

    def describe(self) -> str:
        """One line for logs, tags and metadata."""
        return (
            f"{self.loss} improvement {self.improvement:+.4g} [{self.interval[0]:+.4g}, "
            f"{self.interval[1]:+.4g}] ({INTERVAL:.0%} paired bootstrap, n={self.rows})"
        )


def paired_loss_bootstrap(
    loss: str,
    challenger_loss: np.ndarray,
    champion_loss: np.ndarray,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> LossComparison:
    """Mean of (champion - challenger) per-row loss with a percentile interval, resampling rows
    (the same resample for both models, so their correlation is kept)."""
    improvement = np.asarray(champion_loss, dtype=float) - np.asarray(challenger_loss, dtype=float)
    rng = np.random.default_rng(seed)
    means = [
        improvement[rng.integers(0, len(improvement), len(improvement))].mean()
        for _ in range(resamples)
    ]
    tail = (1 - INTERVAL) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return LossComparison(loss, len(improvement), float(improvement.mean()), (low, high))
