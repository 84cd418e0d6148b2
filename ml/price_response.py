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
enquiries, everything else held. Its 95% interval comes from draws of everything the claim
rests on, so the advice can move a band only when the interval says so:
- the fitted coefficients (normal approximation: N(beta, inverse Fisher information));
- the segment's own suppliers' level and price slope around the pool (`ml.supplier_response`):
  most segment months have one or two usual-band suppliers, so the claim is about them, and
  with the pool's uncertainty alone the 95% intervals held the true change 72% of the time
  at scale 0.3 (59% at 1.0), the misses following the supplier;
- the price factor: each band's typical price is a median over the vendor type's few
  suppliers in it (a handful each at small scale), so the ratio of two bands is uncertain
  (`band_price_errors`): at scale 0.3 the factors used ranged 1.37..2.06 where the
  simulator's bands are 1.65..1.7x apart, and the vendor types furthest off missed most.

What it cannot know: the number of enquiries a supplier would receive at another price
(couples also choose by price), so the advice is per enquiry received. And what the
intervals do not carry: a bias of the pooled response itself. At scale 0.3 seed 43 the
response is flatter than the truth for most vendor types (claimed -0.043 vs true -0.081 on
average; videographers' has the wrong sign), so the hit rate is 66.6% (n=293) there against
95.1% (n=243) at seed 42; the likely cause is what the controls miss of scarcity (a cheaper
supplier's diary fills, its couples find the date gone), which a held-out check cannot see.
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
from ml.supplier_response import SupplierTerms, fit_supplier_terms

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
#: A median's standard error over a mean's, for normal data: sqrt(pi / 2).
MEDIAN_EFFICIENCY = 1.2533

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
    """One vendor type's fitted response, draws of its coefficients, and each supplier's own
    level and price slope around it (`ml.supplier_response`)."""

    pipeline: Pipeline
    coefficient_draws: np.ndarray  # (draws, 1 + features): intercept first
    band_prices: dict[str, float]
    band_price_errors: dict[str, float]  # standard error of each band's log typical price
    supplier_terms: SupplierTerms
    price_centre: float  # the pooled price effect's mean over the settled enquiries

    def price_splines(self, ratio: np.ndarray) -> np.ndarray:
        """The price-fit spline's columns for each budget-to-price ratio in `ratio` (any
        shape; the columns are added as the last axis)."""
        splines = (
            self.pipeline.named_steps["preprocess"]
            .named_transformers_["price_fit"]
            .transform(pd.DataFrame({"budget_to_price_ratio": ratio.ravel()}))
        )
        return splines.reshape(*ratio.shape, -1)

    def price_factor(self, usual: str, other: str) -> float:
        """How much a supplier's price is multiplied by moving from `usual` to `other`."""
        return self.band_prices[other] / self.band_prices[usual]

    def price_factor_draws(
        self, usual: str, other: str, standard_normals: np.ndarray
    ) -> np.ndarray:
        """Draws of the factor (one per entry of `standard_normals`): each band's typical price
        is a median of few suppliers' prices (a handful per vendor type at a small scale), so
        the ratio is uncertain."""
        spread = np.hypot(self.band_price_errors[usual], self.band_price_errors[other])
        return self.price_factor(usual, other) * np.exp(spread * standard_normals)

    def designed(self, enquiries: pd.DataFrame) -> DesignedRows:
        """The usable ones of `enquiries` with their design under this response. Price advice
        designs a vendor type's enquiries once and takes each segment month's from them: a
        design per segment month (some 1,300 per build) cost more than all the draws."""
        rows = _usable(enquiries)
        design = self.pipeline.named_steps["preprocess"].transform(rows[list(INPUTS)])
        return DesignedRows(rows, design)

    def change(self, rows: pd.DataFrame, usual: str, other: str) -> BandChange:
        """`changes` for one neighbouring band."""
        return self.changes(self.designed(rows), usual, [other])[0]

    def changes(self, rows: DesignedRows, usual: str, others: list[str]) -> list[BandChange]:
        """Per band in `others`: the mean conversion change over `rows` (the usual band's
        enquiries) had their suppliers been in that band, with its 95% interval, and the
        revenue-per-enquiry change relative to the usual booking value (conversion there x
        price factor - conversion now).

        The draws carry the pooled coefficients' uncertainty, each row's supplier's own
        (level, slope) uncertainty, drawn once per supplier so that its enquiries move
        together (the change is about these suppliers, not an average one), and the price
        factor's.
        """
        segment = RepricedRows.of(self, rows)
        now, point_now = segment.conversion_now(), segment.point_now()
        changes = []
        for other in others:
            factor = self.price_factor(usual, other)
            factors = self.price_factor_draws(usual, other, segment.factor_normals)
            there, point_there = segment.conversion(factors), segment.point(factor)
            conversion = there - now
            revenue = there * factors - now
            changes.append(
                BandChange(
                    band=other,
                    enquiries=len(segment.ratio),
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
            )
        return changes


@dataclass(frozen=True)
class DesignedRows:
    """Usable enquiries (`_usable`) and their design matrix under one response, row for row."""

    rows: pd.DataFrame
    design: np.ndarray

    def take(self, index: pd.Index) -> DesignedRows:
        """Those of `index` (labels of the enquiries these came from) that are usable."""
        positions = self.rows.index.get_indexer(index)
        positions = positions[positions >= 0]
        return DesignedRows(self.rows.iloc[positions], self.design[positions])


@dataclass(frozen=True)
class RepricedRows:
    """One segment month's usual-band enquiries, prepared once for every price they are
    re-priced at: all that moves with the price is the price-fit spline, so the rest of each
    draw's logit (and of the point estimate's) is computed here once, for every band."""

    response: PriceResponse
    ratio: np.ndarray  # (rows,) budget / price now
    splines_now: np.ndarray  # (rows, spline columns) the price-fit spline of `ratio`
    unpriced: np.ndarray  # (draws, rows) each draw's logit but its price effect
    spline_coefficients: np.ndarray  # (draws, spline columns) each draw's
    supplier_slopes: np.ndarray  # (draws, rows) each row's supplier's own extra price slope
    point_unpriced: np.ndarray  # (rows,) the fitted logit but its price effect
    point_spline_coefficients: np.ndarray  # (spline columns,)
    point_supplier_slopes: np.ndarray  # (rows,)
    factor_normals: np.ndarray  # (draws,) the standard normals of the price factor's draws

    @classmethod
    def of(cls, response: PriceResponse, designed: DesignedRows) -> RepricedRows:
        """Prepare the rows with the response's draws, seeded so that every band and every
        call draws the same coefficients, suppliers and price-factor noise."""
        pipeline = response.pipeline
        rows, design = designed.rows, designed.design
        price = _price_columns(pipeline)
        rng = np.random.default_rng(RANDOM_STATE)
        factor_normals = rng.standard_normal(COEFFICIENT_DRAWS)
        suppliers, row_supplier = np.unique(rows["supplier_id"].astype(str), return_inverse=True)
        terms = response.supplier_terms.draws(list(suppliers), COEFFICIENT_DRAWS, rng)
        terms = terms[:, row_supplier, :]
        mean_terms = np.array([response.supplier_terms.mean(s) for s in suppliers])
        mean_terms = mean_terms[row_supplier]
        spline_coefficients = response.coefficient_draws[:, 1:][:, price]
        coefficients = pipeline.named_steps["logistic"].coef_[0]
        intercept = pipeline.named_steps["logistic"].intercept_[0]
        # logit = unpriced + effect + slope_s * (effect - centre): the `- slope_s * centre`
        # is folded into the unpriced part, the rest is effect * (1 + slope_s).
        return cls(
            response=response,
            ratio=rows["budget_to_price_ratio"].to_numpy(dtype=float),
            splines_now=design[:, price],
            unpriced=(
                response.coefficient_draws[:, :1]
                + response.coefficient_draws[:, 1:] @ design.T
                - spline_coefficients @ design[:, price].T
                + terms[:, :, 0]
                - terms[:, :, 1] * response.price_centre
            ),
            spline_coefficients=spline_coefficients,
            supplier_slopes=terms[:, :, 1],
            point_unpriced=(
                intercept
                + design @ coefficients
                - design[:, price] @ coefficients[price]
                + mean_terms[:, 0]
                - mean_terms[:, 1] * response.price_centre
            ),
            point_spline_coefficients=coefficients[price],
            point_supplier_slopes=mean_terms[:, 1],
            factor_normals=factor_normals,
        )

    def conversion(self, factors: np.ndarray) -> np.ndarray:
        """(draws,) mean probability over the rows, each draw's prices x its `factors` entry."""
        splines = self.response.price_splines(self.ratio[None, :] / factors[:, None])
        return self._conversion(np.einsum("dk,dnk->dn", self.spline_coefficients, splines))

    def conversion_now(self) -> np.ndarray:
        """(draws,) mean probability over the rows at today's prices."""
        return self._conversion(self.spline_coefficients @ self.splines_now.T)

    def _conversion(self, effect: np.ndarray) -> np.ndarray:
        logits = self.unpriced + effect * (1.0 + self.supplier_slopes)
        return (1.0 / (1.0 + np.exp(-logits))).mean(axis=1)

    def point(self, factor: float) -> float:
        """The mean probability at the fitted coefficients and supplier means, prices x
        `factor`."""
        return self._point(self.response.price_splines(self.ratio / factor))

    def point_now(self) -> float:
        """`point` at today's prices."""
        return self._point(self.splines_now)

    def _point(self, splines: np.ndarray) -> float:
        effect = splines @ self.point_spline_coefficients
        logits = self.point_unpriced + effect * (1.0 + self.point_supplier_slopes)
        return float((1.0 / (1.0 + np.exp(-logits))).mean())


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


def _price_columns(pipeline: Pipeline) -> slice:
    """Where the price-fit spline's columns sit in the design (without the intercept)."""
    return pipeline.named_steps["preprocess"].output_indices_["price_fit"]


def _pooled_logit(pipeline: Pipeline, rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The fitted pooled logit and its price effect per row."""
    design = pipeline.named_steps["preprocess"].transform(rows[list(INPUTS)])
    model = pipeline.named_steps["logistic"]
    price = _price_columns(pipeline)
    return (
        model.intercept_[0] + design @ model.coef_[0],
        design[:, price] @ model.coef_[0][price],
    )


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


def band_price_errors(enquiries: pd.DataFrame) -> dict[str, float]:
    """The standard error of each band's log typical price (`band_prices`): the suppliers'
    spread of log price around their band's median, pooled over the vendor type's bands,
    over the root of the band's suppliers, times 1.25 (a median's efficiency)."""
    log_price = np.log(
        pd.to_numeric(enquiries["budget_gbp"], errors="coerce")
        / pd.to_numeric(enquiries["budget_to_price_ratio"], errors="coerce")
    )
    per_supplier = (
        enquiries.assign(log_price=log_price)
        .groupby(["price_band", "supplier_id"])["log_price"]
        .median()
        .dropna()
    )
    around_median = per_supplier - per_supplier.groupby(level="price_band").transform("median")
    counts = per_supplier.groupby(level="price_band").size()
    shared = counts[counts >= 2].index
    spread_rows = around_median[around_median.index.get_level_values("price_band").isin(shared)]
    # Without two suppliers in any band, the spread of all its suppliers' prices (wider).
    spread = float(
        np.sqrt((spread_rows**2).mean()) if len(spread_rows) else per_supplier.std(ddof=0)
    )
    return {str(band): MEDIAN_EFFICIENCY * spread / np.sqrt(n) for band, n in counts.items()}


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
    offset, effect = _pooled_logit(pipeline, rows)
    centre = float(effect.mean())
    terms = fit_supplier_terms(
        offset, effect - centre, labels.to_numpy(), rows["supplier_id"].to_numpy()
    )
    return PriceResponse(
        pipeline, draws, band_prices(settled), band_price_errors(settled), terms, centre
    )


def fit_price_responses(settled: pd.DataFrame) -> dict[str, PriceResponse]:
    """One fitted response per vendor type that has enough settled enquiries."""
    responses = {}
    for vendor_type, rows in settled.groupby("vendor_type"):
        response = fit_price_response(rows)
        if response is not None:
            responses[str(vendor_type)] = response
    return responses
