"""Each supplier's own price response, as a deviation from its vendor type's pooled one.

Price advice is about the usual band's suppliers of one region (ml.pricing), and most
segment months have one or two of them: the advice is really about those suppliers' own
response to their price, which differs from supplier to supplier (issue 12: with the pooled
response alone the claimed 95% intervals held the true change 59% of the time, and the misses
followed the supplier). So the pooled logit gets two terms per supplier,

    logit = pooled(x) + level_s + slope_s * (price_effect(x) - centre),

`level_s` what the supplier's couples book beyond the pool (reputation, diary), `slope_s` how
much more (or less) than the pool its couples mind the price. Both are fitted on the
supplier's own settled enquiries, with the pooled fit as offset, under a normal prior whose
spread is the vendor type's between-supplier spread (estimated from the suppliers with enough
enquiries, by moments: the spread of their own estimates less the part their sampling error
explains). The posterior keeps the supplier's own evidence: a supplier with hundreds of
enquiries is held to its own slope, a new one gets the whole between-supplier spread as
uncertainty, never the pool's narrow interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Newton steps for the two-parameter fits (they converge in under ten).
NEWTON_STEPS = 25
#: The first, near-flat fit's prior precision: keeps a supplier whose couples all booked
#: (or none did) finite without pulling the others.
WEAK_PRECISION = 0.05
#: A supplier counts towards the between-supplier spread with this many settled enquiries.
MIN_SPREAD_ENQUIRIES = 30
#: The spread never goes below this (variance on the logit scale): a vendor type whose few
#: suppliers happen to look alike still has suppliers that differ.
MIN_SPREAD_VARIANCE = 0.01


@dataclass(frozen=True)
class SupplierTerms:
    """Posterior mean and covariance of (level, slope) per supplier, and the prior (the
    vendor type's between-supplier spread) for a supplier without settled enquiries."""

    means: dict[str, np.ndarray]
    covariances: dict[str, np.ndarray]
    prior_covariance: np.ndarray

    def draws(self, suppliers: list[str], count: int, rng: np.random.Generator) -> np.ndarray:
        """(count, len(suppliers), 2) draws of each supplier's (level, slope)."""
        out = np.empty((count, len(suppliers), 2))
        for column, supplier in enumerate(suppliers):
            mean = self.means.get(supplier, np.zeros(2))
            covariance = self.covariances.get(supplier, self.prior_covariance)
            out[:, column, :] = rng.multivariate_normal(mean, covariance, size=count, method="eigh")
        return out

    def mean(self, supplier: str) -> np.ndarray:
        """The supplier's posterior mean (level, slope); zeros for an unknown supplier."""
        return self.means.get(supplier, np.zeros(2))


def _fit_all(
    offset: np.ndarray,
    price_effect: np.ndarray,
    booked: np.ndarray,
    group: np.ndarray,
    groups: int,
    precision: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Per group, the MAP (level, slope) under N(0, precision^-1) with `offset`, and the
    posterior precision (Hessian of the negative log posterior), all groups at once."""
    theta = np.zeros((groups, 2))
    hessian = np.zeros((groups, 2, 2))
    for _ in range(NEWTON_STEPS):
        logit = offset + theta[group, 0] + theta[group, 1] * price_effect
        probability = 1.0 / (1.0 + np.exp(-logit))
        residual = booked - probability
        weight = probability * (1.0 - probability)
        gradient = (
            np.column_stack(
                [
                    np.bincount(group, residual, groups),
                    np.bincount(group, residual * price_effect, groups),
                ]
            )
            - theta @ precision.T
        )
        hessian[:, 0, 0] = np.bincount(group, weight, groups)
        hessian[:, 0, 1] = hessian[:, 1, 0] = np.bincount(group, weight * price_effect, groups)
        hessian[:, 1, 1] = np.bincount(group, weight * price_effect**2, groups)
        hessian += precision
        step = np.linalg.solve(hessian, gradient[:, :, None])[:, :, 0]
        theta += np.clip(step, -2.0, 2.0)
    return theta, hessian


def between_supplier_variance(estimates: np.ndarray, covariances: np.ndarray) -> np.ndarray:
    """Per component, the spread of the suppliers' own estimates less the mean sampling
    variance (method of moments), floored at `MIN_SPREAD_VARIANCE`."""
    if len(estimates) < 2:
        return np.full(2, np.inf)
    observed = estimates.var(axis=0, ddof=1)
    sampling = np.diagonal(covariances, axis1=1, axis2=2).mean(axis=0)
    return np.maximum(observed - sampling, MIN_SPREAD_VARIANCE)


def fit_supplier_terms(
    offset: np.ndarray, price_effect: np.ndarray, booked: np.ndarray, suppliers: np.ndarray
) -> SupplierTerms:
    """Each supplier's (level, slope) posterior given the pooled logit `offset` and the pooled
    `price_effect` (centred) of its settled enquiries, under the vendor type's spread."""
    names, group = np.unique(np.asarray(suppliers, dtype=str), return_inverse=True)
    booked = np.asarray(booked, dtype=float)
    weak = np.eye(2) * WEAK_PRECISION
    own, own_precision = _fit_all(offset, price_effect, booked, group, len(names), weak)
    counts = np.bincount(group, minlength=len(names))
    enough = counts >= MIN_SPREAD_ENQUIRIES
    spread = between_supplier_variance(own[enough], np.linalg.inv(own_precision[enough]))
    if not np.all(np.isfinite(spread)):
        # Too few suppliers to tell how they differ: each is held to its own evidence.
        return SupplierTerms(
            means=dict(zip(names, own, strict=True)),
            covariances=dict(zip(names, np.linalg.inv(own_precision), strict=True)),
            prior_covariance=np.eye(2) / WEAK_PRECISION,
        )
    prior_precision = np.diag(1.0 / spread)
    posterior, posterior_precision = _fit_all(
        offset, price_effect, booked, group, len(names), prior_precision
    )
    return SupplierTerms(
        means=dict(zip(names, posterior, strict=True)),
        covariances=dict(zip(names, np.linalg.inv(posterior_precision), strict=True)),
        prior_covariance=np.diag(spread),
    )
