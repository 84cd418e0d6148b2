"""Response models of the insight routes (wedding insights, supplier performance, alerts).

Rows of tables that other pipelines own (`predictions.*`, the benchmark and demand marts)
are documented as objects with an example rather than restated column by column, so a new
column there does not need an API release; the marts' columns are in `docs/internals.md`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from serving.api.schemas import VendorPerformanceRow

Row = dict[str, Any]


class WeddingInsightsAnswer(BaseModel):
    """Demand, benchmarks, forecasts and price advice for the caller's markets.

    A part is `null` until the pipeline that builds it has run (dbt marts, ML predictions).
    """

    dataset_version: int
    supplier_id: str | None = Field(description="The supplier whose markets are shown.")
    vendor_type: str | None = Field(description="Platform filter: one vendor type.")
    region: str | None = Field(description="Platform filter: one region.")
    seasonal_demand: list[Row] | None = Field(
        description="Per wedding month and market: enquiries, bookings, conversion, "
        "year-on-year change, peak-season share.",
        examples=[
            [
                {
                    "month": "2026-08-01",
                    "vendor_type": "photographer",
                    "region": "london",
                    "enquiries": 412,
                    "bookings": 97,
                    "conversion_rate": 0.2354,
                    "enquiries_yoy_change": 0.08,
                }
            ]
        ],
    )
    market_benchmarks: list[Row] | None = Field(
        description="Per quarter and market: quartiles of conversion, price and response time."
    )
    demand_forecast: list[Row] | None = Field(
        description="Forecast enquiries and bookings per month and market (ML)."
    )
    price_advice: list[Row] | None = Field(
        description="Recommended price band per month and market, with the evidence (ML)."
    )
    pipeline_value: list[Row] | None = Field(
        description="Expected bookings and revenue of the open enquiries (ML)."
    )


class PerformanceTotals(BaseModel):
    """A supplier's totals over all months, with the conversion's 95% Wilson interval."""

    supplier_id: str = Field(examples=["sup_000123"])
    vendor_type: str
    region: str
    price_band: str | None
    first_month: dt.date
    last_month: dt.date
    enquiries: int
    bookings: int
    cancellations: int
    revenue_gbp: float | None
    reviews: int | None
    avg_rating: float | None
    conversion_rate: float | None = Field(examples=[0.2381])
    conversion_ci_low: float | None = Field(examples=[0.1342])
    conversion_ci_high: float | None = Field(examples=[0.3867])


class SupplierPerformanceAnswer(BaseModel):
    """One supplier's performance: totals, months, its market's benchmark, its pipeline."""

    supplier_id: str = Field(examples=["sup_000123"])
    dataset_version: int
    totals: PerformanceTotals
    months: list[VendorPerformanceRow]
    market_benchmark: Row | None = Field(
        description="The latest quarter's benchmark of the supplier's market (null: none yet)."
    )
    pipeline_value: Row | None = Field(
        description="Expected value of the supplier's open enquiries (null: not scored yet)."
    )


class WeddingDayAlert(BaseModel):
    """A confirmed booking whose wedding is near and that still needs something."""

    booking_id: str = Field(examples=["bkg_0001234"])
    supplier_id: str = Field(examples=["sup_000123"])
    couple_id: str = Field(examples=["cpl_004567"])
    vendor_type: str
    region: str
    wedding_date: dt.date
    days_left: int = Field(examples=[1])
    as_of_date: dt.date
    total_value_gbp: float | None
    paid_gbp: float | None
    outstanding_gbp: float | None
    has_unpaid_balance: bool
    missing_details: str | None = Field(examples=["guest_count, couple_email"])


class WeddingDayAlertsAnswer(BaseModel):
    """Upcoming weddings that need attention, soonest first."""

    dataset_version: int
    supplier_id: str | None
    vendor_type: str | None
    region: str | None
    alerts: list[WeddingDayAlert]
