"""Each supplier's own level and price slope around its vendor type's pooled response."""

import numpy as np
import pytest

from ml.supplier_response import (
    MIN_SPREAD_VARIANCE,
    between_supplier_variance,
    fit_supplier_terms,
)

#: The true spread of the suppliers' slopes (sd on the logit scale per unit price effect).
SLOPE_SPREAD = 0.4


def _market(
    enquiries_per_supplier: list[int], seed: int = 3
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(offset, price effect, booked, supplier, each supplier's true (level, slope))."""
    rng = np.random.default_rng(seed)
    truth = np.column_stack(
        [
            rng.normal(0.0, 0.3, len(enquiries_per_supplier)),
            rng.normal(0.0, SLOPE_SPREAD, len(enquiries_per_supplier)),
        ]
    )
    supplier = np.repeat(np.arange(len(enquiries_per_supplier)), enquiries_per_supplier)
    offset = rng.normal(-0.8, 0.5, len(supplier))
    effect = rng.normal(0.0, 1.0, len(supplier))
    logit = offset + truth[supplier, 0] + truth[supplier, 1] * effect
    booked = (rng.random(len(supplier)) < 1 / (1 + np.exp(-logit))).astype(float)
    return offset, effect, booked, np.char.add("s", supplier.astype(str)), truth


def test_the_spread_is_what_the_estimates_vary_by_beyond_their_sampling_error() -> None:
    estimates = np.array([[0.0, -1.0], [0.0, 1.0], [0.0, 0.0]])
    sampling = np.array([np.diag([0.5, 0.5])] * 3)
    spread = between_supplier_variance(estimates, sampling)
    # Levels vary by nothing (floored); slopes by variance 1 of which 0.5 is sampling error.
    assert spread == pytest.approx([MIN_SPREAD_VARIANCE, 0.5])


def test_each_supplier_is_held_to_its_own_slope_with_honest_uncertainty() -> None:
    offset, effect, booked, supplier, truth = _market([600] * 40)
    terms = fit_supplier_terms(offset, effect, booked, supplier)
    inside = 0
    for index, true_term in enumerate(truth):
        mean = terms.means[f"s{index}"]
        sd = np.sqrt(np.diag(terms.covariances[f"s{index}"]))
        inside += abs(mean[1] - true_term[1]) <= 1.96 * sd[1]
    # A 95% interval per supplier: at least 35 of 40 hold the true slope.
    assert inside >= 35, inside
    # The between-supplier spread is recovered roughly (0.16 true variance).
    assert 0.05 < terms.prior_covariance[1, 1] < 0.35
    estimated = np.array([terms.means[f"s{i}"][1] for i in range(len(truth))])
    assert np.corrcoef(estimated, truth[:, 1])[0, 1] > 0.7


def test_a_supplier_with_little_evidence_keeps_most_of_the_spread_as_uncertainty() -> None:
    offset, effect, booked, supplier, _ = _market([600] * 39 + [15])
    terms = fit_supplier_terms(offset, effect, booked, supplier)
    small, large = terms.covariances["s39"][1, 1], terms.covariances["s0"][1, 1]
    assert large < small < terms.prior_covariance[1, 1]
    assert small > 0.5 * terms.prior_covariance[1, 1]
    # A supplier never seen settling an enquiry gets the whole spread around the pool.
    draws = terms.draws(["unknown"], 4000, np.random.default_rng(0))
    assert draws[:, 0, :].mean(axis=0) == pytest.approx([0.0, 0.0], abs=0.05)
    assert draws[:, 0, :].var(axis=0) == pytest.approx(np.diag(terms.prior_covariance), rel=0.1)


def test_too_few_suppliers_to_measure_a_spread_hold_each_to_its_own_evidence() -> None:
    offset, effect, booked, supplier, truth = _market([3000])
    terms = fit_supplier_terms(offset, effect, booked, supplier)
    sd = np.sqrt(terms.covariances["s0"][1, 1])
    assert abs(terms.means["s0"][1] - truth[0, 1]) <= 2.5 * sd
    assert terms.prior_covariance[1, 1] > 10.0
