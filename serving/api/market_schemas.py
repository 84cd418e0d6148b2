"""Response models of the market-gaps and capacity routes (issue 14).

Both marts are ours and carry enforced dbt contracts, so their rows are typed column by
column (`dbt_project/models/marts/_marts.yml` documents each).
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class MarketGapRow(BaseModel):
    """One wedding month of one market (vendor type x region), at least 5 suppliers."""

    wedding_month: dt.date = Field(examples=["2027-06-01"])
    vendor_type: str = Field(examples=["venue"])
    region: str = Field(examples=["south_west"])
    is_peak_season: bool
    bank_holiday_weekends: int = Field(description="Bank-holiday weekends in the month.")
    suppliers: int = Field(examples=[7])
    saturday_places: int = Field(description="Weddings the suppliers can serve on Saturdays.")
    saturday_bookings: int = Field(description="Standing bookings on those Saturdays.")
    free_saturday_places: int
    saturday_fill_rate: float | None = Field(examples=[0.4231])
    full_supplier_dates: int = Field(description="Supplier-dates booked to capacity.")
    enquiries: int = Field(description="Enquiries for weddings in the month.")
    couples: int = Field(description="Couples who enquired.")
    bookings: int
    no_room_enquiries: float = Field(description="Expected enquiries that met a full date.")
    no_room_share: float | None = Field(examples=[0.0812])
    unmet_couples: float = Field(
        description="Expected couples who booked none of the type after meeting a full date."
    )
    unmet_share: float | None
    unmet_rank: int = Field(description="Its rank in the market by unmet demand (1 = most).")
    holiday_weekend_enquiries: int
    holiday_weekend_no_room_share: float | None


class MarketGapsAnswer(BaseModel):
    """Demand against supply for the caller's markets, and their months of most unmet demand."""

    dataset_version: int
    supplier_id: str | None = Field(description="The supplier whose markets are shown.")
    vendor_type: str | None = Field(description="Filter: one vendor type.")
    region: str | None = Field(description="Filter: one region.")
    top_gap_rank: int = Field(description="`top_gaps` holds each market's months up to this rank.")
    top_gaps: list[MarketGapRow] = Field(
        description="The months where a new supplier would find the most unmet demand, most first."
    )
    market_gaps: list[MarketGapRow]


class SupplierCapacityRow(BaseModel):
    """A supplier's peak-season fill and the busy Saturdays it still has room on."""

    supplier_id: str = Field(examples=["sup_000123"])
    vendor_type: str
    region: str
    weddings_per_date: int = Field(examples=[1])
    as_of_date: dt.date
    last_season_start: dt.date = Field(examples=["2026-04-01"])
    next_season_start: dt.date = Field(examples=["2027-04-01"])
    last_season_saturdays: int
    last_season_saturday_bookings: int
    last_season_fill_rate: float | None = Field(examples=[0.6154])
    next_season_saturdays: int
    next_season_saturday_bookings: int
    next_season_fill_rate: float | None = Field(examples=[0.1923])
    next_season_open_saturdays: int
    busiest_saturdays: list[dt.date] = Field(
        description="Next season's busiest Saturdays in the region, busiest first."
    )
    open_busiest_saturdays: list[dt.date] = Field(description="Of those, still open.")
    open_bank_holiday_saturdays: list[dt.date] = Field(
        description="Next season's bank-holiday weekend Saturdays still open."
    )


class CapacityAnswer(BaseModel):
    """Peak-season capacity of the suppliers the caller may see (a supplier: itself)."""

    dataset_version: int
    supplier_id: str | None
    vendor_type: str | None
    region: str | None
    suppliers: list[SupplierCapacityRow]
