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
    down: list[str] = Field(
        default_factory=list,
        description="The dependencies that do not answer (`postgres`, `redis`).",
        examples=[["postgres"]],
    )
    degraded_seconds: float | None = Field(
        default=None, description="How long this worker has found Postgres unreachable."
    )
    last_backup_seconds: float | None = Field(
        default=None,
        description="Seconds since the last good backup finished (null: none yet, or unknown "
        "while Postgres is down).",
    )
    backup_overdue: bool = Field(
        default=False,
        description="The last good backup is older than today's alert threshold (36 h; 25 h "
        "on a Saturday, the wedding day), or there is none.",
    )


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


class VendorPerformanceTotals(BaseModel):
    """The answer's `vendor_performance` rows summed, with the conversion's 95% Wilson interval
    (the dashboard shows these rather than computing an interval of its own)."""

    months: int = Field(description="Distinct months among the rows.")
    enquiries: int
    bookings: int
    cancellations: int
    revenue_gbp: float
    conversion_rate: float | None = Field(examples=[0.2286])
    conversion_ci_low: float | None = Field(
        description="95% Wilson interval, lower bound.", examples=[0.1459]
    )
    conversion_ci_high: float | None = Field(
        description="95% Wilson interval, upper bound.", examples=[0.3395]
    )


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
    grain: str | None = Field(description="The grain the daily activity was rolled up to.")
    vendor_type: str | None = Field(description="The vendor type filter, if any.")
    vendor_performance: list[VendorPerformanceRow]
    vendor_performance_totals: VendorPerformanceTotals
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


class TokenAnswer(BaseModel):
    """An access token (15 minutes) and the refresh token that renews it (single use)."""

    access_token: str = Field(examples=["eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIi..."])
    token_type: str = Field(examples=["bearer"])
    expires_in: int = Field(description="Seconds the access token is valid.", examples=[900])
    refresh_token: str = Field(examples=["wsr_0f3a9c2b7d1e4a56_Q2xv..."])
    role: str = Field(examples=["supplier_viewer"])


class RefreshRequest(BaseModel):
    """A refresh token to exchange (it is used up; the answer carries its successor)."""

    refresh_token: str = Field(
        min_length=1, max_length=200, examples=["wsr_0f3a9c2b7d1e4a56_Q2xv..."]
    )


class UsageRow(BaseModel):
    """Requests of one key to one endpoint on one day (UTC)."""

    key_id: str = Field(examples=["3fa85f64a1b2"])
    supplier_id: str | None = Field(examples=["sup_000123"])
    day: dt.date
    endpoint: str = Field(examples=["GET /api/analytics/metrics"])
    requests: int
    errors: int = Field(description="Answers 4xx/5xx other than 429.")
    throttled: int = Field(description="Answers 429 (over the rate limit).")


class UsageAnswer(BaseModel):
    """The caller's API usage (recorded in batches: the last seconds may not show yet)."""

    supplier_id: str | None
    start: dt.date
    end: dt.date
    total_requests: int
    usage: list[UsageRow]


class ErasureAnswer(BaseModel):
    """What a GDPR erasure changed: personal data nulled, the couple id pseudonymised."""

    couple_id: str = Field(examples=["cpl_004567"])
    erased_at: dt.datetime
    rows: dict[str, int] = Field(
        description="Rows changed per table.",
        examples=[{"raw.couples": 1, "raw.enquiries": 3, "raw.bookings": 1, "raw.events": 12}],
    )


class BookingProbabilityRequest(BaseModel):
    """An enquiry to score with the champion booking model."""

    supplier_id: str | None = Field(
        default=None,
        pattern=r"^sup_[0-9]{6}$",
        description="The supplier enquired with (supplier keys: their own, the default).",
        examples=["sup_000123"],
    )
    wedding_date: dt.date = Field(examples=["2027-06-12"])
    channel: str = Field(min_length=1, examples=["search"])
    guest_count: int | None = Field(default=None, ge=1, le=1000, examples=[90])
    budget_gbp: float | None = Field(default=None, ge=0, le=1_000_000, examples=[18000])
    first_response_hours: float | None = Field(default=None, ge=0, examples=[4.5])
    couple_id: str | None = Field(
        default=None,
        pattern=r"^cpl_[0-9]{6}$",
        description=(
            "The enquiring couple, when the platform knows it: its earlier enquiries and "
            "bookings of this vendor type (before `created_at`) are features. Platform "
            "keys only: a supplier key may not read another supplier's couples."
        ),
        examples=["cpl_001234"],
    )
    created_at: dt.datetime | dt.date | None = Field(
        default=None,
        description=(
            "When the enquiry was made (default: now). A bare date counts the couple's "
            "history up to the start of that day."
        ),
    )


class BookingProbabilityAnswer(BaseModel):
    """The champion model's probability that the enquiry becomes a booking."""

    supplier_id: str = Field(examples=["sup_000123"])
    probability: float = Field(ge=0, le=1, examples=[0.31])
    model: str = Field(
        default="at_enquiry",
        description="Which model answered: `at_enquiry` scores only what is known on arrival.",
    )
    model_version: str = Field(
        description="Registered version of `booking_probability_at_enquiry`."
    )
