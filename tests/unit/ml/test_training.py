"""Candidate choice and training on synthetic enquiries with a known booking probability."""

import pandas as pd
import pytest

from ml.candidates import CANDIDATES, build_candidates
from ml.features import labelled_enquiries, open_enquiries, prepare_features
from ml.training import choose_candidate, train_booking_model
from tests.unit.ml.synthetic import synthetic_enquiries


def test_choose_candidate_takes_the_highest_defined_auc() -> None:
    validation_auc = {"prior_rate": 0.5, "logistic": 0.7, "boosting": float("nan")}
    assert choose_candidate(validation_auc) == "logistic"


def test_choose_candidate_needs_one_defined_auc() -> None:
    with pytest.raises(ValueError, match="no candidate"):
        choose_candidate({"prior_rate": float("nan")})


def test_unknown_candidate_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="gradient_boosting"):
        build_candidates(["random_forest"])


def test_features_split_into_labelled_and_open_enquiries() -> None:
    enquiries = prepare_features(synthetic_enquiries(2000, seed=3))
    labelled, still_open = labelled_enquiries(enquiries), open_enquiries(enquiries)
    assert len(labelled) + len(still_open) == len(enquiries)
    assert set(labelled["booked"].unique()) == {0, 1}
    assert still_open["booked"].isna().all()
    assert enquiries["responded"].dtype == "float64"
    assert enquiries["supplier_date_bookings"].dtype == "float64"


def test_training_beats_the_prior_rate_and_approaches_the_oracle() -> None:
    enquiries = prepare_features(synthetic_enquiries(6000, seed=11))
    result = train_booking_model(enquiries, list(CANDIDATES))
    assert result.model_name != "prior_rate"
    assert result.validation_auc["prior_rate"] == 0.5
    assert result.test["enquiry_date"].min() > result.train["enquiry_date"].max()
    assert result.test_metrics["roc_auc"] > 0.65
    assert 0.0 < result.test_metrics["brier"] < 0.25


def test_the_test_window_is_settled_and_scored_as_enquiries_arrive() -> None:
    enquiries = prepare_features(synthetic_enquiries(6000, seed=11))
    result = train_booking_model(enquiries, list(CANDIDATES))
    # No test label is still open: the embargo ends the window 60 days before as of, and its
    # booking rate is the eventual one (not inflated by early bookers of the open window).
    assert result.test["enquiry_date"].max() < result.windows.as_of - pd.Timedelta(days=60)
    truth = synthetic_enquiries(6000, seed=11).set_index("enquiry_id")
    eventual = truth.loc[result.test["enquiry_id"], "booked_eventually"].astype(int)
    assert (result.test["booked"].to_numpy() == eventual.to_numpy()).all()
    # The model never sees the reply.
    assert "responded" not in result.model.feature_names_in_
    assert abs(result.test_metrics["calibration_in_the_large"]) < 0.03


def test_every_candidate_is_judged_on_the_same_test_window() -> None:
    enquiries = prepare_features(synthetic_enquiries(6000, seed=11))
    result = train_booking_model(enquiries, list(CANDIDATES))
    assert set(result.candidate_test_metrics) == set(CANDIDATES)
    assert result.test_metrics is result.candidate_test_metrics[result.model_name]
    logistic = result.candidate_test_metrics["logistic_regression"]
    # The lead time that suits each vendor type is non-linear: boosting should find it.
    assert result.model_name == "gradient_boosting"
    assert result.test_metrics["roc_auc"] > logistic["roc_auc"]
    assert result.candidate_test_metrics["prior_rate"]["roc_auc"] == 0.5
