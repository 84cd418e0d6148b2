"""The truth report's noise yardsticks."""

import numpy as np

from ml.evaluation import expected_calibration_error
from ml.truth_report import calibrated_ece_range, meets_pipeline_target, perfect_model_meets


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


def test_how_often_a_perfect_model_meets_a_pipeline_target_is_the_share_real_outcomes_give() -> (
    None
):
    rng = np.random.default_rng(5)
    newest_week = rng.uniform(0.2, 0.4, 145)  # scale 0.3's 0-7 day band
    share = perfect_model_meets(newest_week, whole=False)
    real = (rng.random((400, len(newest_week))) < newest_week).sum(axis=1)
    met = meets_pipeline_target(newest_week.sum(), real, len(newest_week), whole=False)
    assert abs(share - met.mean()) < 0.08
    assert 0.4 < share < 0.75  # the band's target is within one standard deviation at this n
    # Ten times the enquiries: ±0.03 is then two and a half standard deviations either side.
    assert perfect_model_meets(np.tile(newest_week, 10), whole=False) > 0.97
    # The whole pipeline's ratio target: a ratio, so it tightens with n in the same way.
    pipeline = rng.uniform(0.0, 0.4, 1_000)
    assert perfect_model_meets(pipeline, whole=True) < perfect_model_meets(
        np.tile(pipeline, 4), whole=True
    )
