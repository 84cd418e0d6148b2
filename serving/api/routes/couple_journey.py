"""`GET /api/analytics/couple-journey` (issue 14)."""

from __future__ import annotations

import psycopg
from fastapi import APIRouter, Request, Response

from serving.analytics.couple_journey import read_couple_journey
from serving.analytics.readers import Audience, Source
from serving.api.answers import analytics_answer
from serving.api.deps import AnalyticsPrincipal, State
from serving.api.journey_schemas import CoupleJourneyAnswer
from serving.api.routes.insights import Region
from serving.api.routes.market_gaps import VendorTypeFilter
from serving.api.routes.metrics import READ_RESPONSES, SupplierFilter, visible_supplier

router = APIRouter(prefix="/api/analytics", tags=["analytics"])


@router.get(
    "/couple-journey",
    response_model=CoupleJourneyAnswer,
    summary="Budget versus quality, guest count versus choice, and time to booking per market",
    responses=READ_RESPONSES,
)
async def couple_journey(
    request: Request,
    state: State,
    principal: AnalyticsPrincipal,
    supplier_id: SupplierFilter = None,
    vendor_type: VendorTypeFilter = None,
    region: Region = None,
) -> Response:
    """The caller's markets (a platform key: any, narrowed by the filters), with 95% intervals.

    Professional tier and above. Cells booked with fewer than 5 suppliers are not published.
    """
    audience = Audience(visible_supplier(principal, supplier_id), vendor_type, region)

    async def compute(conn: psycopg.AsyncConnection, version: int) -> bytes:
        return await read_couple_journey(Source(conn, version, state.catalog), audience)

    return await analytics_answer(request, state, principal, audience.params(), compute)
