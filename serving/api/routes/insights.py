"""`GET /api/analytics/wedding-insights`: demand, benchmarks, forecasts and price advice."""

from __future__ import annotations

from typing import Annotated

import psycopg
from fastapi import APIRouter, Query, Request, Response

from serving.analytics.insights import read_wedding_insights
from serving.analytics.readers import Audience, Source
from serving.api.answers import analytics_answer
from serving.api.deps import AnalyticsPrincipal, State
from serving.api.insight_schemas import WeddingInsightsAnswer
from serving.api.routes.metrics import READ_RESPONSES, SupplierFilter, visible_supplier
from wedsync.vendor_types import VendorType

router = APIRouter(prefix="/api/analytics", tags=["analytics"])

Region = Annotated[
    str | None,
    Query(pattern=r"^[a-z_]{2,40}$", description="One UK region.", examples=["south_west"]),
]


@router.get(
    "/wedding-insights",
    response_model=WeddingInsightsAnswer,
    summary="Seasonal demand, market benchmarks, forecasts and price advice",
    responses=READ_RESPONSES,
)
async def wedding_insights(
    request: Request,
    state: State,
    principal: AnalyticsPrincipal,
    supplier_id: SupplierFilter = None,
    vendor_type: Annotated[VendorType | None, Query(description="One vendor type.")] = None,
    region: Region = None,
) -> Response:
    """The markets the caller trades in (a platform key: any, narrowed by the filters).

    Professional tier and above. Forecasts, price advice and pipeline value appear once the ML
    assets have published them (`null` until then).
    """
    audience = Audience(visible_supplier(principal, supplier_id), vendor_type, region)

    async def compute(conn: psycopg.AsyncConnection, version: int) -> bytes:
        return await read_wedding_insights(Source(conn, version, state.catalog), audience)

    return await analytics_answer(request, state, principal, audience.params(), compute)
