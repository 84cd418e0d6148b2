"""The truth report's noise yardsticks."""

import numpy as np

from ml.evaluation import expected_calibration_error
from ml.truth_report import calibrated_ece_range


def test_a_perfect_models_ece_is_the_noise_of_the_windows_n() -> None:
    rng = np.random.default_rng(4)
    probability = rng.uniform(0.05, 0.6, 2_300)
    median, low, high = calibrated_ece_range(probability)
    assert 0 < low < median < high
    # Outcomes really drawn from the probabilities: their ECE lies in the 90% range about 90%
    # of the time, and is far from zero at this n (about scale 0.3's test window).
    draws = [rng.random(len(probability)) < probability for _ in range(40)]
    inside = [low <= expected_calibration_error(b, probability) <= high for b in draws]
    assert 0.75 <= np.mean(inside) <= 1.0
    assert median > 0.015
    # Ten times the enquiries, about a third of the noise (it shrinks as 1 / sqrt(n)).
    larger, _, _ = calibrated_ece_range(np.tile(probability, 10))
    assert 0.2 < larger / median < 0.45
    # A model 0.05 too high on every enquiry is outside the range.
    assert expected_calibration_error(draws[0], np.clip(probability + 0.05, 0, 1)) > high
