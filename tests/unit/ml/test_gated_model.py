"""The loss-gated training shared by the couple-budget and review-score models."""

import numpy as np
import pandas as pd
import pytest

from ml.couple_budget import COUPLE_BUDGET_MODEL, labelled_couples, prepare_couples
from ml.gated_model import decide_loss_promotion, split_by_date, train_gated_model
from ml.promotion import paired_loss_bootstrap
from ml.registry import CHALLENGER, CHAMPION
from tests.unit.ml.synthetic_couples import synthetic_couples


def test_split_by_date_keeps_time_order_and_never_splits_a_day() -> None:
    couples = prepare_couples(synthetic_couples(2_000, seed=1))
    split = split_by_date(couples, "first_enquiry_date")
    assert len(split.fit) + len(split.validation) + len(split.test) == len(couples)
    assert split.fit["first_enquiry_date"].max() < split.validation["first_enquiry_date"].min()
    assert split.validation["first_enquiry_date"].max() < split.test["first_enquiry_date"].min()
    assert 0.15 < len(split.test) / len(couples) < 0.25


def test_split_by_date_names_the_empty_part() -> None:
    one_day = prepare_couples(synthetic_couples(50, seed=1)).assign(
        first_enquiry_date=pd.Timestamp("2024-01-01")
    )
    with pytest.raises(ValueError, match="the fit part of 50 labelled rows"):
        split_by_date(one_day, "first_enquiry_date")


def test_paired_loss_bootstrap_promotes_a_real_improvement_and_not_noise() -> None:
    rng = np.random.default_rng(3)
    champion = rng.exponential(1.0, 2_000)
    better = paired_loss_bootstrap("mae", champion * 0.9, champion)
    assert better.challenger_better and better.improvement == pytest.approx(champion.mean() * 0.1)
    noisy = paired_loss_bootstrap("mae", champion + rng.normal(0, 0.05, 2_000), champion)
    assert not noisy.challenger_better
    assert noisy.interval[0] < 0 < noisy.interval[1]


def test_first_model_is_champion_and_a_tie_stays_challenger() -> None:
    assert decide_loss_promotion(None, None).alias == CHAMPION
    tie = paired_loss_bootstrap("mae", np.ones(100), np.ones(100))
    decision = decide_loss_promotion("3", tie)
    assert decision.alias == CHALLENGER
    assert "does not beat champion v3" in decision.reason


def test_budget_model_beats_the_median_and_is_chosen_on_validation() -> None:
    couples = labelled_couples(prepare_couples(synthetic_couples(3_000, seed=2)))
    training = train_gated_model(COUPLE_BUDGET_MODEL, couples)
    assert training.model_name == "gradient_boosting"
    median = training.candidate_test_metrics["median"]
    assert training.test_metrics["mae_gbp"] < 0.6 * median["mae_gbp"]
    assert training.test_metrics["rows"] == len(training.split.test)


def test_without_signal_the_baseline_is_chosen_not_a_lucky_candidate() -> None:
    couples = labelled_couples(prepare_couples(synthetic_couples(1_500, seed=5)))
    rng = np.random.default_rng(5)
    couples = couples.assign(budget_gbp=rng.permutation(couples["budget_gbp"].to_numpy()))
    training = train_gated_model(COUPLE_BUDGET_MODEL, couples)
    assert training.model_name == "median"
