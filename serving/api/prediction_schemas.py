"""Response models of the couple-budget and review-score routes (issue 14).

Both tables are written by our own scoring assets (`ml.couple_predictions`), so their rows are
typed column by column.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class ScoringChampion(BaseModel):
    """The registered model version the rows were scored with."""

    registered_model: str = Field(examples=["couple_budget_at_first_enquiry"])
    alias: str = Field(examples=["champion"], description="Rows are always scored by champion.")
    version: str = Field(examples=["2"])
    candidate: str = Field(
        examples=["gradient_boosting"], description="The candidate the training chose."
    )
    champion_is_baseline: bool = Field(
        description="True when no model beat the baseline (median budget, prior score shares):"
        " the figures are then the yardstick's, the same for every row."
    )
    scored_at: dt.datetime


class CoupleBudgetRow(BaseModel):
    """One couple's estimated total budget, from what was known at their first enquiry."""

    couple_id: str = Field(examples=["cpl_004567"])
    supplier_id: str = Field(description="The supplier of the couple's first enquiry.")
    first_enquiry_date: dt.date
    predicted_budget_gbp: float = Field(examples=[18250.0])


class CoupleBudgetAnswer(BaseModel):
    """Estimated budgets of the couples whose first enquiry was to the supplier (platform:
    every couple), newest enquirers first."""

    dataset_version: int
    supplier_id: str | None = Field(description="The supplier whose couples are shown.")
    model: ScoringChampion | None = Field(description="null when no couple is visible.")
    couples: int = Field(description="Every visible couple (the list stops at `limit`).")
    mean_predicted_budget_gbp: float | None
    p25_predicted_budget_gbp: float | None
    median_predicted_budget_gbp: float | None
    p75_predicted_budget_gbp: float | None
    limit: int
    predictions: list[CoupleBudgetRow]


class ReviewScoreRow(BaseModel):
    """One booking awaiting its review: the score it is expected to get."""

    booking_id: str = Field(examples=["bkg_0012345"])
    supplier_id: str
    wedding_date: dt.date | None
    expected_score: float = Field(examples=[4.31], description="Expected stars, 1 to 5.")
    probability_good_review: float = Field(
        examples=[0.86], description="Probability of a 4 or 5 star review."
    )


class ReviewScoreAnswer(BaseModel):
    """The supplier's bookings awaiting a review (platform: every supplier's), least likely to
    be reviewed 4-5 stars first."""

    dataset_version: int
    supplier_id: str | None = Field(description="The supplier whose bookings are shown.")
    model: ScoringChampion | None = Field(description="null when no booking is visible.")
    bookings: int = Field(description="Every visible booking (the list stops at `limit`).")
    mean_expected_score: float | None
    mean_probability_good_review: float | None
    limit: int
    predictions: list[ReviewScoreRow]
