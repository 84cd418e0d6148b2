"""The served couple-budget and review-score tables (issue 14) held against the truth, on the
features dbt builds from a simulated world, and shown failing on perturbed tables.

The champions here are fitted directly (no MLflow): the budget one is the boosted-trees
candidate, so its estimates differ per couple and a shuffle across couples is a real error;
the review one is the prior the gate keeps on this simulator (ratings are drawn independently
of the booking). `ml.couple_models_truth` reads the tables as the API does.
"""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest

from ml.couple_budget import (
    COUPLE_BUDGET_MODEL,
    gradient_boosting,
    labelled_couples,
    read_couple_budget_features,
)
from ml.couple_models_truth import served_budgets_against_truth, served_reviews_against_truth
from ml.couple_predictions import replace_couple_budgets, replace_review_scores
from ml.gated_model import Champion
from ml.review_score import (
    REVIEW_SCORE_MODEL,
    prior_baseline,
    read_review_features,
    reviewed_bookings,
    unreviewed_bookings,
)
from tests.integration.dbt.built_marts import dbt_build, perturbed
from tests.integration.dbt.conftest import LoadedWarehouse

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SCORED_AT = dt.datetime(2025, 6, 1, 6, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def scored(loaded_warehouse: LoadedWarehouse) -> str:
    """The two features tables built by dbt, both champions fitted and their tables scored."""
    url = loaded_warehouse.database_url
    dbt_build(url, "+ml_couple_budget_features", "+ml_review_features")
    with psycopg.connect(url) as conn:
        couples = read_couple_budget_features(conn)
        labelled = labelled_couples(couples)
        budget = Champion(
            COUPLE_BUDGET_MODEL.registered_model,
            "1",
            "gradient_boosting",
            COUPLE_BUDGET_MODEL.baseline,
            gradient_boosting().fit(
                COUPLE_BUDGET_MODEL.inputs(labelled), labelled[COUPLE_BUDGET_MODEL.label]
            ),
        )
        assert replace_couple_budgets(conn, budget, couples, SCORED_AT) == len(couples)
        bookings = read_review_features(conn)
        reviewed = reviewed_bookings(bookings)
        prior = prior_baseline().fit(
            REVIEW_SCORE_MODEL.inputs(reviewed), reviewed[REVIEW_SCORE_MODEL.label]
        )
        review = Champion(REVIEW_SCORE_MODEL.registered_model, "1", "prior", "prior", prior)
        assert replace_review_scores(conn, review, unreviewed_bookings(bookings), SCORED_AT) > 0
    return url


def test_the_served_tables_pass_their_truth_checks(scored: str) -> None:
    with psycopg.connect(scored) as conn:
        budget = served_budgets_against_truth(conn)
        reviews = served_reviews_against_truth(conn)
    assert budget is not None and budget.rows > 100
    assert budget.ok and budget.served < budget.yardstick, budget
    assert len(reviews) == 2 and all(check.ok for check in reviews), reviews


def test_the_budget_check_misses_budgets_shuffled_across_couples(scored: str) -> None:
    """Estimates written against the wrong couples (a join or sort-order bug in scoring)."""
    shuffled = """
    with estimates as (
        select predicted_budget_gbp, row_number() over (order by md5(couple_id)) as n
        from predictions.couple_budget
    ), couples as (
        select couple_id, row_number() over (order by couple_id) as n
        from predictions.couple_budget
    )
    update predictions.couple_budget as p set predicted_budget_gbp = e.predicted_budget_gbp
    from couples inner join estimates as e using (n) where p.couple_id = couples.couple_id
    """
    with perturbed(scored, "predictions.couple_budget", shuffled) as conn:
        budget = served_budgets_against_truth(conn)
    assert budget is not None and not budget.ok, budget


def test_the_review_check_misses_a_reversed_score_scale(scored: str) -> None:
    """The score classes read in reverse order (5 stars taken for 1): a plausible slip with
    predict_proba's column order."""
    reversed_scale = (
        "update predictions.review_score set expected_score = 6 - expected_score,"
        " probability_good_review = 1 - probability_good_review"
    )
    with perturbed(scored, "predictions.review_score", reversed_scale) as conn:
        reviews = served_reviews_against_truth(conn)
    assert reviews and not any(check.ok for check in reviews), reviews
