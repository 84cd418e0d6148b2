"""Response models of the API, with examples, as `/docs` shows them.

The routes write JSON bytes directly (msgspec/orjson, or cached bytes) for speed; these
models document the shapes and are what the OpenAPI schema and its examples are built from.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ErrorAnswer(BaseModel):
    """Every error answer: the reason, naming the field or value at fault."""

    detail: str = Field(examples=["missing `Authorization: Bearer <api key>` header"])


class HealthAnswer(BaseModel):
    """Liveness: the process answers."""

    status: str = Field(examples=["ok"])


class ReadinessAnswer(BaseModel):
    """Readiness: whether Postgres (required) and Redis (best effort) answer."""

    status: str = Field(examples=["ready"])
    postgres: bool
    redis: bool


class RejectedEvent(BaseModel):
    """An event of the batch that failed validation; it was kept in the dead-letter table."""

    index: int = Field(description="Position of the event in the batch (0-based).")
    event_id: str | None = Field(description="The event id as sent, when readable.")
    reason: str = Field(examples=["Invalid date: `$.wedding_date`"])


class EventsAnswer(BaseModel):
    """`202`: the accepted events are committed in Postgres."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "accepted": 998,
                    "duplicates": 1,
                    "rejected": [
                        {
                            "index": 17,
                            "event_id": "9b2f0c1e-4b8a-4a57-9a53-2f1f7c3d2a10",
                            "reason": "Invalid date - at `$.wedding_date`",
                        }
                    ],
                }
            ]
        }
    )

    accepted: int = Field(description="Events stored now (first time their event_id was seen).")
    duplicates: int = Field(description="Events whose event_id was already stored (not stored).")
    rejected: list[RejectedEvent]


class VendorPerformanceRow(BaseModel):
    """`marts.vendor_performance`: one supplier in one month of enquiry."""

    supplier_id: str = Field(examples=["sup_000123"])
    month: dt.date
    vendor_type: str = Field(examples=["photographer"])
    region: str = Field(examples=["south_west"])
    price_band: str = Field(examples=["premium"])
    enquiries: int
    bookings: int
    cancellations: int
    conversion_rate: float | None
    conversion_ci_low: float | None = Field(description="95% Wilson interval, lower bound.")
    conversion_ci_high: float | None = Field(description="95% Wilson interval, upper bound.")
    median_first_response_hours: float | None
    revenue_gbp: float | None
    avg_rating: float | None
    reviews: int | None


class SeasonalBookingsRow(BaseModel):
    """`marts.seasonal_bookings`: one wedding month in one market (vendor type x region)."""

    month: dt.date
    vendor_type: str = Field(examples=["venue"])
    region: str = Field(examples=["london"])
    enquiries: int
    bookings: int
    conversion_rate: float | None
    revenue_gbp: float | None


class MetricsAnswer(BaseModel):
    """The caller's analytics: their vendor performance and their markets' seasonality.

    `supplier_daily_activity` and `lead_funnel` come from the live events; they are null
    until dbt has built them.
    """

    supplier_id: str | None = Field(
        description="The supplier shown; null when a platform key asked for every supplier."
    )
    dataset_version: int = Field(description="Version of the marts this answer was built from.")
    start: dt.date | None
    end: dt.date | None
    vendor_performance: list[VendorPerformanceRow]
    seasonal_bookings: list[SeasonalBookingsRow]
    supplier_daily_activity: list[dict[str, Any]] | None = Field(
        description="Per supplier and day: views, enquiries, quotes, bookings, revenue."
    )
    lead_funnel: list[dict[str, Any]] | None = Field(
        description="Per supplier and month: view -> enquiry -> quote -> booking."
    )


class QualityRuleStatus(BaseModel):
    """The latest check of one data-quality rule and its recent history."""

    rule_id: str = Field(examples=["enquiries_valid_wedding_date"])
    table_name: str = Field(examples=["enquiries"])
    severity: str = Field(examples=["error"])
    success: bool
    unexpected_count: int
    unexpected_pct: float
    checked_at: dt.datetime
    trend: list[int] = Field(
        description="Unexpected counts of the rule's recent runs, oldest first."
    )


class QualityAnswer(BaseModel):
    """Latest status per quality rule (platform keys only)."""

    rules: list[QualityRuleStatus]
