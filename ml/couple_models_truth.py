"""What `make build` says about the couple-budget and review-score champions, against the truth.

Each champion re-scores today's held-out rows (the newest `TEST_SHARE`, `ml.gated_model`)
beside its baseline refitted on everything older, so the figures are out of sample:
- budget: MAE and MAPE against the couples' true budgets (the simulator states each couple's
  drawn budget on their enquiries; out-of-range ones are quarantined before the features);
- satisfaction: predicted against real mean score by decile of the prediction, and for
  P(score >= 4) a reliability table and its ECE. The simulator's truth is its rating
  distribution (`RATING_SHARE`): the oracle that knows it is printed as the floor no model
  can go under on these rows;
- what is served: `predictions.couple_budget` as the API reads it, against the couples' true
  budgets (it must be no worse than every couple getting the median budget), and
  `predictions.review_score` against the simulator's rating distribution (the bookings awaiting
  a review have no rating yet, but the truth knows the distribution it will be drawn from).
  These read the tables, not the champion, so a table scored wrongly or shuffled across rows
  is caught (the held-out lines above re-score the champion and could not see it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import psycopg
from mlflow.tracking import MlflowClient
from sklearn.pipeline import Pipeline

from ml.couple_budget import (
    COUPLE_BUDGET_MODEL,
    FEATURES_TABLE,
    absolute_error,
    budget_metrics,
    labelled_couples,
    read_couple_budget_features,
)
from ml.evaluation import by_prediction_decile
from ml.gated_model import GatedModelSpec, split_by_date
from ml.registry import champion_version, load_version, use_tracking
from ml.review_score import FEATURES_TABLE as REVIEW_FEATURES_TABLE
from ml.review_score import (
    GOOD_SCORE,
    REVIEW_SCORE_MODEL,
    SCORES,
    expected_score,
    good_review_probability,
    read_review_features,
    review_metrics,
    reviewed_bookings,
)
from wedsync.settings import get_settings
from wedsync.simulator.calibration import RATING_SHARE
from wedsync.warehouse import connect


def holdout_predictions(
    spec: GatedModelSpec, labelled: pd.DataFrame, champion: Pipeline
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Today's test rows, the champion's predictions on them, and the baseline's (refitted on
    the older rows)."""
    split = split_by_date(labelled, spec.date_column)
    train = pd.concat([split.fit, split.validation])
    baseline = spec.candidates[spec.baseline]().fit(spec.inputs(train), train[spec.label])
    return (
        split.test,
        spec.predict(champion, split.test),
        spec.predict(baseline, split.test),
    )


def budget_lines(couples: pd.DataFrame, champion: Pipeline, version: str) -> list[str]:
    """The budget champion's error against the truth and against the median baseline."""
    test, predicted, median = holdout_predictions(COUPLE_BUDGET_MODEL, couples, champion)
    truth = test[COUPLE_BUDGET_MODEL.label].to_numpy()
    model, baseline = budget_metrics(truth, predicted), budget_metrics(truth, median)
    first, last = test["first_enquiry_date"].min(), test["first_enquiry_date"].max()
    better = model["mae_gbp"] < baseline["mae_gbp"]
    return [
        f"Couple budget at first enquiry (champion v{version}, couples first enquiring "
        f"{first:%Y-%m-%d}..{last:%Y-%m-%d}, n={len(test):,}; truth = the couple's budget):",
        f"  MAE £{model['mae_gbp']:,.0f} vs median baseline £{baseline['mae_gbp']:,.0f} "
        f"({'better' if better else 'NOT better'}); MAPE {model['mape']:.1%} vs "
        f"{baseline['mape']:.1%}; median APE {model['median_ape']:.1%} vs "
        f"{baseline['median_ape']:.1%}",
    ]


def _pairs(table: pd.DataFrame, fmt: str) -> str:
    return " ".join(f"{row.predicted:{fmt}}/{row.actual:{fmt}}" for row in table.itertuples())


def satisfaction_lines(bookings: pd.DataFrame, champion: Pipeline, version: str) -> list[str]:
    """The review-score champion's calibration, against the prior and the simulator's truth."""
    test, predicted, prior = holdout_predictions(REVIEW_SCORE_MODEL, bookings, champion)
    rating = test[REVIEW_SCORE_MODEL.label].to_numpy()
    oracle = np.tile(np.array(list(RATING_SHARE.values())), (len(test), 1))
    model, baseline = review_metrics(rating, predicted), review_metrics(rating, prior)
    floor = review_metrics(rating, oracle)
    scores = by_prediction_decile(expected_score(predicted), rating)
    reliability = by_prediction_decile(good_review_probability(predicted), rating >= GOOD_SCORE)
    first, last = test["booked_on"].min(), test["booked_on"].max()
    return [
        f"Review score at booking (champion v{version}, reviewed bookings made "
        f"{first:%Y-%m-%d}..{last:%Y-%m-%d}, n={len(test):,}):",
        f"  mean predicted score {model['mean_predicted_score']:.2f} vs real "
        f"{model['mean_score']:.2f}; log loss {model['log_loss']:.3f} vs prior "
        f"{baseline['log_loss']:.3f} vs the simulator's rating distribution "
        f"{floor['log_loss']:.3f} (the floor: ratings are drawn independently of the booking)",
        f"  score by decile, predicted/real: {_pairs(scores, '.2f')}",
        f"  P(score >= {GOOD_SCORE}) by decile, predicted/observed: {_pairs(reliability, '.2f')}",
        f"  P(score >= {GOOD_SCORE}): mean {model['good_review_predicted']:.3f} vs observed "
        f"{model['good_review_rate']:.3f}, ECE {model['good_review_ece']:.3f} (the truth's own "
        f"ECE on these rows {floor['good_review_ece']:.3f}: the noise floor at this n)",
    ]


#: The served figure may miss its yardstick by this many standard errors.
STANDARD_ERRORS = 3.0

_SERVED_BUDGETS = f"""
select p.predicted_budget_gbp, f.budget_gbp::float8 as budget_gbp
from predictions.couple_budget as p
inner join {FEATURES_TABLE} as f using (couple_id)
where f.budget_gbp is not null
"""
_SERVED_REVIEWS = """
select count(*) as bookings, avg(expected_score) as expected_score,
       avg(probability_good_review) as probability_good_review
from predictions.review_score
"""
_REVIEWED_BOOKINGS = f"select count(*) from {REVIEW_FEATURES_TABLE} where rating is not null"


@dataclass(frozen=True)
class ServedCheck:
    """One served figure against its yardstick: ok when it is not worse beyond noise."""

    name: str
    rows: int
    served: float
    yardstick: float
    tolerance: float
    #: True when the served figure may be anything below the yardstick (an error to beat),
    #: False when it must match it either way (a calibrated mean).
    one_sided: bool

    @property
    def ok(self) -> bool:
        """Within tolerance of the yardstick (or better than it, when one-sided)."""
        gap = self.served - self.yardstick
        return gap <= self.tolerance if self.one_sided else abs(gap) <= self.tolerance


def served_budgets_against_truth(conn: psycopg.Connection) -> ServedCheck | None:
    """The served estimates' MAE on the couples whose true budget is known, against every
    couple getting the median budget; a miss when worse by more than 3 standard errors of
    the paired difference. None before the table is scored (or with no stated budgets)."""
    cursor = conn.execute(_SERVED_BUDGETS)
    rows = np.array(cursor.fetchall(), dtype=float).reshape(-1, 2)
    if len(rows) < 2:
        return None
    predicted, budget = rows[:, 0], rows[:, 1]
    served = absolute_error(budget, predicted)
    median = absolute_error(budget, np.full(len(budget), np.median(budget)))
    difference = served - median
    return ServedCheck(
        name="served couple budgets: MAE (GBP) vs every couple at the median",
        rows=len(rows),
        served=float(served.mean()),
        yardstick=float(median.mean()),
        tolerance=STANDARD_ERRORS * float(difference.std(ddof=1)) / np.sqrt(len(rows)),
        one_sided=True,
    )


def served_reviews_against_truth(conn: psycopg.Connection) -> list[ServedCheck]:
    """The served mean chance of a 4-5 star review and mean expected score against the
    simulator's rating distribution, which every booking's review is drawn from. Tolerance:
    3 standard errors of those figures estimated from the reviewed bookings a model learns
    from. Empty before the table is scored."""
    bookings, expected, probability = conn.execute(_SERVED_REVIEWS).fetchone() or (0, None, None)
    reviewed = (conn.execute(_REVIEWED_BOOKINGS).fetchone() or (0,))[0]
    if not bookings or not reviewed:
        return []
    shares = np.array([RATING_SHARE[int(score)] for score in SCORES])
    good = float(shares[SCORES >= GOOD_SCORE].sum())
    mean_score = float((SCORES * shares).sum())
    score_spread = float(np.sqrt((shares * (SCORES - mean_score) ** 2).sum()))
    return [
        ServedCheck(
            name=f"served P(score >= {GOOD_SCORE}) mean vs the simulator's",
            rows=int(bookings),
            served=float(probability),
            yardstick=good,
            tolerance=STANDARD_ERRORS * float(np.sqrt(good * (1 - good) / reviewed)),
            one_sided=False,
        ),
        ServedCheck(
            name="served expected score mean vs the simulator's",
            rows=int(bookings),
            served=float(expected),
            yardstick=mean_score,
            tolerance=STANDARD_ERRORS * score_spread / float(np.sqrt(reviewed)),
            one_sided=False,
        ),
    ]


def render_served(checks: list[ServedCheck]) -> list[str]:
    """One line per served-table check, with its verdict."""
    return [
        f"  {check.name} (n={check.rows:,}): {check.served:,.3f} vs {check.yardstick:,.3f} "
        f"(±{check.tolerance:,.3f}: {'ok' if check.ok else 'MISSED'})"
        for check in checks
    ]


def served_lines(conn: psycopg.Connection) -> list[str]:
    """The build summary's lines for the two served tables; says why when not available."""
    try:
        budget = served_budgets_against_truth(conn)
        checks = ([] if budget is None else [budget]) + served_reviews_against_truth(conn)
    except psycopg.Error as error:
        conn.rollback()
        return [f"Served couple predictions: not available ({error.diag.message_primary})"]
    if not checks:
        return ["Served couple predictions: not scored yet"]
    return [
        "Served couple predictions vs truth (the tables the API reads):",
        *render_served(checks),
    ]


def couple_models_section() -> list[str]:
    """The build summary's lines for the two models; a part that cannot be computed says why."""
    settings = get_settings()
    lines: list[str] = []
    sections: tuple[
        tuple[
            GatedModelSpec,
            Callable[[psycopg.Connection], pd.DataFrame],
            Callable[[pd.DataFrame], pd.DataFrame],
            Callable[[pd.DataFrame, Pipeline, str], list[str]],
        ],
        ...,
    ] = (
        (COUPLE_BUDGET_MODEL, read_couple_budget_features, labelled_couples, budget_lines),
        (REVIEW_SCORE_MODEL, read_review_features, reviewed_bookings, satisfaction_lines),
    )
    with connect() as conn:
        for spec, read, labelled, render in sections:
            use_tracking(settings.mlflow_tracking_uri, spec.experiment)
            version = champion_version(MlflowClient(), spec.registered_model)
            if version is None:
                lines.append(f"{spec.registered_model}: no champion model")
                continue
            try:
                rows = labelled(read(conn))
                champion = load_version(version, spec.registered_model)
                lines += render(rows, champion, version)
            except (ValueError, psycopg.Error) as error:
                conn.rollback()
                lines.append(f"{spec.registered_model}: not available ({error})")
        lines += served_lines(conn)
    return lines
