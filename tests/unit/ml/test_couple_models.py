"""The pure pieces of the couple-budget and review-score models: metrics and distributions."""

import numpy as np
import pandas as pd
import pytest

from ml.couple_budget import budget_metrics, median_baseline, predict_budget
from ml.evaluation import by_prediction_decile
from ml.gated_model import train_gated_model
from ml.review_score import (
    REVIEW_SCORE_MODEL,
    expected_score,
    good_review_probability,
    predict_score_distribution,
    prepare_bookings,
    review_metrics,
    reviewed_bookings,
    score_log_loss,
)
from tests.unit.ml.synthetic_couples import synthetic_reviews


def test_budget_metrics_measure_pounds_and_percentages() -> None:
    metrics = budget_metrics(np.array([10_000.0, 20_000.0]), np.array([12_000.0, 15_000.0]))
    assert metrics["mae_gbp"] == pytest.approx(3_500)
    assert metrics["mape"] == pytest.approx((0.2 + 0.25) / 2)
    assert metrics["rows"] == 2


def test_median_baseline_predicts_the_training_median_for_everyone() -> None:
    couples = pd.DataFrame({"vendor_type": ["venue"] * 3, "budget_gbp": [1.0, 5.0, 100.0]})
    model = median_baseline().fit(couples[["vendor_type"]], couples["budget_gbp"])
    assert predict_budget(model, couples).tolist() == [5.0, 5.0, 5.0]


def test_score_distribution_covers_every_score_even_unseen_ones() -> None:
    bookings = prepare_bookings(synthetic_reviews(400, seed=1))
    reviewed = reviewed_bookings(bookings)
    reviewed = reviewed[reviewed["rating"] >= 3]
    model = REVIEW_SCORE_MODEL.candidates["prior"]().fit(
        REVIEW_SCORE_MODEL.inputs(reviewed), reviewed["rating"]
    )
    distribution = predict_score_distribution(model, bookings)
    assert distribution.shape == (len(bookings), 5)
    assert np.allclose(distribution.sum(axis=1), 1)
    assert (distribution[:, :2] == 0).all()
    shares = reviewed["rating"].value_counts(normalize=True)
    assert good_review_probability(distribution)[0] == pytest.approx(shares[4] + shares[5])


def test_expected_score_log_loss_and_calibration_of_a_known_distribution() -> None:
    distribution = np.tile([0.0, 0.0, 0.2, 0.3, 0.5], (4, 1))
    rating = np.array([5, 5, 4, 3])
    assert expected_score(distribution)[0] == pytest.approx(4.3)
    assert score_log_loss(rating, distribution).tolist() == pytest.approx(
        [-np.log(0.5), -np.log(0.5), -np.log(0.3), -np.log(0.2)]
    )
    # Ten equal-count bins of four bookings, each holding the pattern once: 3 of 4 good.
    metrics = review_metrics(np.tile(rating, 10), np.tile(distribution, (10, 1)))
    assert metrics["good_review_predicted"] == pytest.approx(0.8)
    assert metrics["good_review_rate"] == pytest.approx(0.75)
    assert metrics["good_review_ece"] == pytest.approx(0.05)


def test_by_prediction_decile_pairs_predicted_and_actual_means() -> None:
    table = by_prediction_decile(np.arange(100.0), np.arange(100.0) * 2)
    assert table["rows"].tolist() == [10] * 10
    assert table["actual"].tolist() == pytest.approx((table["predicted"] * 2).tolist())


def test_review_model_learns_supplier_quality_better_than_the_prior() -> None:
    reviewed = reviewed_bookings(prepare_bookings(synthetic_reviews(6_000, seed=4)))
    training = train_gated_model(REVIEW_SCORE_MODEL, reviewed)
    prior = training.candidate_test_metrics["prior"]
    assert training.model_name == "gradient_boosting"
    assert training.test_metrics["log_loss"] < prior["log_loss"] - 0.1
    assert training.test_metrics["good_review_ece"] < 0.05
