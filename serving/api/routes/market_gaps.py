"""`GET /api/analytics/market-gaps` and `GET /api/analytics/capacity` (issue 14)."""

from __future__ import annotations

from typing import Annotated

import psycopg
from fastapi import APIRouter, Query, Request, Response

from serving.analytics.market_gaps import read_market_gaps, read_supplier_capacity
from serving.analytics.readers import Audience, Source
from serving.api.answers import analytics_answer
from serving.api.deps import AnalyticsPrincipal, State
from serving.api.market_schemas import CapacityAnswer, MarketGapsAnswer
from serving.api.routes.insights import Region
from serving.api.routes.metrics import READ_RESPONSES, SupplierFilter, visible_supplier
from wedsync.vendor_types import VendorType

router = APIRouter(prefix="/api/analytics", tags=["analytics"])

VendorTypeFilter = Annotated[VendorType | None, Query(description="One vendor type.")]


@router.get(
    "/market-gaps",
    response_model=MarketGapsAnswer,
    summary="Demand against supply per wedding month and market: where couples found no room",
    responses=READ_RESPONSES,
)
async def market_gaps(
    request: Request,
    state: State,
    principal: AnalyticsPrincipal,
    supplier_id: SupplierFilter = None,
    vendor_type: VendorTypeFilter = None,
    region: Region = None,
) -> Response:
    """The caller's markets (a platform key: any, narrowed by the filters) per wedding month.

    Professional tier and above. Markets with fewer than 5 suppliers are not published.
    """
    audience = Audience(visible_supplier(principal, supplier_id), vendor_type, region)

    async def compute(conn: psycopg.AsyncConnection, version: int) -> bytes:
        return await read_market_gaps(Source(conn, version, state.catalog), audience)

    return await analytics_answer(request, state, principal, audience.params(), compute)


@router.get(
    "/capacity",
    response_model=CapacityAnswer,
    summary="Peak-season fill rate and the busiest Saturdays still open, per supplier",
    responses=READ_RESPONSES,
)
async def capacity(
    request: Request,
    state: State,
    principal: AnalyticsPrincipal,
    supplier_id: SupplierFilter = None,
    vendor_type: VendorTypeFilter = None,
    region: Region = None,
) -> Response:
    """The caller's own capacity (a platform key: every supplier, narrowed by the filters).

    Professional tier and above.
    """
    audience = Audience(visible_supplier(principal, supplier_id), vendor_type, region)

    async def compute(conn: psycopg.AsyncConnection, version: int) -> bytes:
        return await read_supplier_capacity(Source(conn, version, state.catalog), audience)

    return await analytics_answer(request, state, principal, audience.params(), compute)
