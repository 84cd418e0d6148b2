"""Response models of the couple-journey route (issue 14).

`marts.couple_journey` is ours and carries an enforced dbt contract, so its rows are typed
column by column (`dbt_project/models/marts/_marts.yml` documents each).
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class JourneyCell(BaseModel):
    """One band of one market (vendor type x region), booked with at least 5 suppliers.

    Every figure has its 95% interval: Wilson for the share, normal approximation for means.
    """

    dimension: str = Field(examples=["budget"], description="budget, guest_count or all.")
    band: str = Field(examples=["20000-39999"], description="The band, or 'all'.")
    band_from: int | None = Field(examples=[20000], description="The band's lower edge.")
    vendor_type: str = Field(examples=["venue"])
    region: str = Field(examples=["london"])
    suppliers: int = Field(description="Distinct suppliers booked (at least 5).")
    couples: int
    bookings: int
    rated_bookings: int = Field(description="Bookings whose supplier has reviews.")
    mean_review_score: float | None = Field(examples=[4.31])
    review_score_ci_low: float | None
    review_score_ci_high: float | None
    upper_price_band_bookings: int = Field(description="Bookings of premium or luxury suppliers.")
    upper_price_band_share: float | None = Field(examples=[0.3571])
    upper_price_band_ci_low: float | None
    upper_price_band_ci_high: float | None
    mean_booking_value_gbp: float | None = Field(examples=[6250.0])
    booking_value_ci_low_gbp: float | None
    booking_value_ci_high_gbp: float | None
    horizon_days: int = Field(
        examples=[365], description="Days are of bookings this soon after a first enquiry."
    )
    settled_bookings: int = Field(
        description="Bookings of couples whose bookings are all exported."
    )
    mean_days_to_booking: float | None = Field(
        examples=[41.5], description="Days from the couple's first enquiry to the booking."
    )
    days_to_booking_ci_low: float | None
    days_to_booking_ci_high: float | None


class CoupleJourneyAnswer(BaseModel):
    """What couples booked by budget and guest count, and how long they took, per market."""

    dataset_version: int
    supplier_id: str | None = Field(description="The supplier whose markets are shown.")
    vendor_type: str | None = Field(description="Filter: one vendor type.")
    region: str | None = Field(description="Filter: one region.")
    budget_versus_quality: list[JourneyCell] = Field(
        description="By the couple's budget band: review score, price band and value booked."
    )
    guest_count_choice: list[JourneyCell] = Field(
        description="By guest-count band, venues and caterers: what the guest list led to."
    )
    time_to_booking: list[JourneyCell] = Field(
        description="Every booking of the market: days from first enquiry to booking."
    )
