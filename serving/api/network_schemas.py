"""Response model of the supplier-network route (issue 14).

`marts.vendor_network` is ours and carries an enforced dbt contract, so its rows are typed
column by column (`dbt_project/models/marts/_marts.yml` documents each).
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class VendorNetworkRow(BaseModel):
    """A partner some of the supplier's couples also booked, and the referral strength."""

    supplier_id: str = Field(examples=["sup_000123"])
    vendor_type: str = Field(examples=["venue"])
    region: str = Field(examples=["south_west"])
    partner_id: str = Field(examples=["sup_000456"])
    partner_business_name: str | None = Field(examples=["Willow Lane Flowers"])
    partner_vendor_type: str | None = Field(examples=["florist"])
    partner_region: str | None = Field(examples=["south_west"])
    couples: int = Field(description="Couples who booked the supplier.")
    co_booked_couples: int = Field(description="Couples who booked both, in either order.")
    followed_couples: int = Field(
        description="Couples who booked the partner within 90 days after the supplier."
    )
    follow_rate: float | None = Field(examples=[0.1364])
    follow_rate_low: float | None = Field(description="95% Wilson interval, lower bound.")
    follow_rate_high: float | None = Field(description="95% Wilson interval, upper bound.")
    base_rate: float | None = Field(
        description="Chance: the partner's rate after the region's other bookings."
    )
    lift: float | None = Field(description="follow_rate / base_rate.", examples=[6.2])
    lift_low: float | None
    lift_high: float | None
    is_predicted_referral: bool = Field(
        description="At least 3 couples followed and the lift's lower bound is at least 2."
    )


class SupplierNetworkAnswer(BaseModel):
    """A supplier's co-booking partners, predicted referral partners first."""

    supplier_id: str
    dataset_version: int
    referral_partners: int = Field(description="How many partners the referral rule predicts.")
    partners: list[VendorNetworkRow]
