"""What the same enquiries would convert at had their supplier been one price band away.

Price advice used to compare the conversion of different suppliers' enquiries, band against
band. Those are different couples: couples pick suppliers whose price fits their budget, so
the premium band's enquiries come from richer couples and convert better, and the comparison
said "move up, conversion rises" where a higher price really lowers it (issue 12: 9% of the
advised moves had the direction right).

This model asks the counterfactual question instead. Price reaches a couple's decision
through their budget against the supplier's price (`budget_to_price_ratio`). Per vendor type,
a logistic regression of the settled outcome on a spline of log(budget / price), with what
else is known at enquiry (lead time, channel, region, wedding month, Saturday, the diary), is
fitted on settled enquiries. A supplier moving from band a to band b multiplies its price by
the ratio of the two bands' typical prices for the vendor type (medians of the observed base
prices), so each of its enquiries' log ratio shifts by minus the log of that ratio; the change
in conversion is the mean change of the predicted probability over the segment's own
enquiries, everything else held. Its 95% interval comes from the fitted coefficients' normal
approximation (draws from N(beta, inverse Fisher information)), so the advice can move a band
only when the interval says so.

What it cannot know: the number of enquiries a supplier would receive at another price
(couples also choose by price), so the advice is per enquiry received.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, SplineTransformer

from ml.features import LABEL

PRICE_BANDS = ("budget", "mid", "premium", "luxury")
#: Draws of the coefficients for each interval: the 2.5% and 97.5% quantiles of 400 draws
#: move by about 0.1 standard errors from one seed to another.
COEFFICIENT_DRAWS = 400
#: A vendor type needs this many settled enquiries, and both classes, to be fitted.
MIN_FIT_ENQUIRIES = 200
#: Inverse L2 strength: close to the unpenalised fit whose covariance is reported, but kept
#: finite so a category seen only with one outcome cannot drive a coefficient to infinity.
REGULARISATION_C = 100.0
RANDOM_STATE = 42

CATEGORIES = ("channel", "region", "wedding_month")
INPUTS = (
    "budget_to_price_ratio",
    "budget_gbp",
    "lead_time_days",
    "is_saturday",
    "supplier_date_bookings",
    *CATEGORIES,
)


def _log_positive(values: np.ndarray) -> np.ndarray:
    return np.log(np.clip(np.asarray(values, dtype=float), 1e-3, None))


def _flag(values: np.ndarray) -> np.ndarray:
    return (np.asarray(values, dtype=float) > 0).astype(float)


def response_pipeline() -> Pipeline:
    """Splines of log(budget / price) and log(lead time), log budget (richer couples may book
    more whatever the price: held, so only the price moves), flags, one-hot categories."""

    def log_spline() -> Pipeline:
        return make_pipeline(
            FunctionTransformer(_log_positive),
            SplineTransformer(n_knots=5, degree=3, knots="quantile", extrapolation="linear"),
        )

    preprocess = ColumnTransformer(
        [
            ("price_fit", log_spline(), ["budget_to_price_ratio"]),
            ("budget", FunctionTransformer(_log_positive), ["budget_gbp"]),
            ("lead", log_spline(), ["lead_time_days"]),
            ("flags", FunctionTransformer(_flag), ["is_saturday", "supplier_date_bookings"]),
            ("categories", OneHotEncoder(handle_unknown="ignore"), list(CATEGORIES)),
        ],
        sparse_threshold=0.0,
    )
    return Pipeline(
        [
            ("preprocess", preprocess),
            ("logistic", LogisticRegression(C=REGULARISATION_C, max_iter=2000)),
        ]
    )


def _usable(enquiries: pd.DataFrame) -> pd.DataFrame:
    """Rows with a budget, a price ratio and a lead time (inputs that cannot be imputed)."""
    ratio = pd.to_numeric(enquiries["budget_to_price_ratio"], errors="coerce")
    budget = pd.to_numeric(enquiries["budget_gbp"], errors="coerce")
    lead = pd.to_numeric(enquiries["lead_time_days"], errors="coerce")
    usable = enquiries[(ratio > 0) & (budget > 0) & (lead > 0)].copy()
    for column in ("budget_to_price_ratio", "budget_gbp", "lead_time_days"):
        usable[column] = pd.to_numeric(usable[column], errors="coerce").astype(float)
    for column in CATEGORIES:
        usable[column] = usable[column].astype(str)
    usable["is_saturday"] = pd.to_numeric(usable["is_saturday"], errors="coerce").fillna(0.0)
    usable["supplier_date_bookings"] = pd.to_numeric(
        usable["supplier_date_bookings"], errors="coerce"
    ).fillna(0.0)
    return usable


@dataclass(frozen=True)
class PriceResponse:
    """One vendor type's fitted response and draws of its coefficients."""

    pipeline: Pipeline
    coefficient_draws: np.ndarray  # (draws, 1 + features): intercept first
    band_prices: dict[str, float]

    def _draw_probabilities(self, rows: pd.DataFrame, price_factor: float) -> np.ndarray:
        """(draws, rows) probabilities with each price multiplied by `price_factor`."""
        shifted = rows.assign(budget_to_price_ratio=rows["budget_to_price_ratio"] / price_factor)
        design = self.pipeline.named_steps["preprocess"].transform(shifted[list(INPUTS)])
        logits = self.coefficient_draws[:, :1] + self.coefficient_draws[:, 1:] @ design.T
        return 1.0 / (1.0 + np.exp(-logits))

    def price_factor(self, usual: str, other: str) -> float:
        """How much a supplier's price is multiplied by moving from `usual` to `other`."""
        return self.band_prices[other] / self.band_prices[usual]

    def change(self, rows: pd.DataFrame, usual: str, other: str) -> BandChange:
        """The mean conversion change over `rows` (the usual band's enquiries) had their
        suppliers been in `other`, with its 95% interval, and the revenue-per-enquiry change
        relative to the usual booking value (conversion there x price factor - conversion now).
        """
        rows = _usable(rows)
        factor = self.price_factor(usual, other)
        now = self._draw_probabilities(rows, 1.0).mean(axis=1)
        there = self._draw_probabilities(rows, factor).mean(axis=1)
        point_rows = rows[list(INPUTS)]
        shifted = point_rows.assign(
            budget_to_price_ratio=point_rows["budget_to_price_ratio"] / factor
        )
        point_now = float(self.pipeline.predict_proba(point_rows)[:, 1].mean())
        point_there = float(self.pipeline.predict_proba(shifted)[:, 1].mean())
        conversion = there - now
        revenue = there * factor - now
        return BandChange(
            band=other,
            enquiries=len(rows),
            price_factor=factor,
            conversion_now=point_now,
            conversion_there=point_there,
            conversion_change=point_there - point_now,
            conversion_change_low=float(np.quantile(conversion, 0.025)),
            conversion_change_high=float(np.quantile(conversion, 0.975)),
            revenue_change=point_there * factor - point_now,
            revenue_change_low=float(np.quantile(revenue, 0.025)),
            revenue_change_high=float(np.quantile(revenue, 0.975)),
        )


@dataclass(frozen=True)
class BandChange:
    """What moving to `band` would do to one segment month's enquiries (per enquiry).

    `revenue_change*` is in units of the usual band's booking value: conversion there x price
    factor minus conversion now; above zero the move earns more per enquiry received.
    """

    band: str
    enquiries: int
    price_factor: float
    conversion_now: float
    conversion_there: float
    conversion_change: float
    conversion_change_low: float
    conversion_change_high: float
    revenue_change: float
    revenue_change_low: float
    revenue_change_high: float


def _coefficient_covariance(pipeline: Pipeline, rows: pd.DataFrame) -> np.ndarray:
    """The inverse Fisher information of the (penalised) logistic fit, intercept first."""
    design = pipeline.named_steps["preprocess"].transform(rows[list(INPUTS)])
    with_intercept = np.column_stack([np.ones(len(design)), design])
    probability = pipeline.predict_proba(rows[list(INPUTS)])[:, 1]
    weight = probability * (1.0 - probability)
    information = with_intercept.T @ (with_intercept * weight[:, None])
    penalty = np.eye(with_intercept.shape[1]) / REGULARISATION_C
    penalty[0, 0] = 0.0  # the intercept is not penalised
    return np.linalg.pinv(information + penalty)


def band_prices(enquiries: pd.DataFrame) -> dict[str, float]:
    """Each band's typical price for one vendor type: the median supplier's base price
    (budget / ratio), each supplier counted once."""
    prices = enquiries.assign(
        price=pd.to_numeric(enquiries["budget_gbp"], errors="coerce")
        / pd.to_numeric(enquiries["budget_to_price_ratio"], errors="coerce")
    )
    per_supplier = prices.groupby(["price_band", "supplier_id"])["price"].median()
    by_band = per_supplier.groupby(level="price_band").median().dropna()
    return {str(band): float(price) for band, price in by_band.items() if price > 0}


def fit_price_response(settled: pd.DataFrame) -> PriceResponse | None:
    """Fit one vendor type's response on its settled enquiries; None when too few or when
    every enquiry has the same outcome."""
    rows = _usable(settled)
    labels = rows[LABEL].astype(int)
    if len(rows) < MIN_FIT_ENQUIRIES or labels.nunique() < 2:
        return None
    pipeline = response_pipeline()
    pipeline.fit(rows[list(INPUTS)], labels)
    model = pipeline.named_steps["logistic"]
    mean = np.concatenate([model.intercept_, model.coef_[0]])
    covariance = _coefficient_covariance(pipeline, rows)
    draws = np.random.default_rng(RANDOM_STATE).multivariate_normal(
        mean, covariance, size=COEFFICIENT_DRAWS, method="eigh"
    )
    return PriceResponse(pipeline, draws, band_prices(settled))


def fit_price_responses(settled: pd.DataFrame) -> dict[str, PriceResponse]:
    """One fitted response per vendor type that has enough settled enquiries."""
    responses = {}
    for vendor_type, rows in settled.groupby("vendor_type"):
        response = fit_price_response(rows)
        if response is not None:
            responses[str(vendor_type)] = response
    return responses
