"""`GET /api/alerts/wedding-day`: weddings within the alert window that still need something."""

from __future__ import annotations

import psycopg
from fastapi import APIRouter, Request, Response

from serving.analytics.insights import read_wedding_day_alerts
from serving.analytics.readers import Audience, Source
from serving.api.answers import analytics_answer
from serving.api.deps import AnalyticsPrincipal, State
from serving.api.insight_schemas import WeddingDayAlertsAnswer
from serving.api.routes.metrics import READ_RESPONSES, SupplierFilter, visible_supplier

router = APIRouter(prefix="/api/alerts", tags=["alerts"])


@router.get(
    "/wedding-day",
    response_model=WeddingDayAlertsAnswer,
    summary="Upcoming weddings with money owed or details missing",
    responses=READ_RESPONSES,
)
async def wedding_day_alerts(
    request: Request,
    state: State,
    principal: AnalyticsPrincipal,
    supplier_id: SupplierFilter = None,
) -> Response:
    """The caller's confirmed bookings whose wedding is close and that are not ready yet.

    Professional tier and above. A platform key sees every supplier's (or one's).
    """
    audience = Audience(visible_supplier(principal, supplier_id))

    async def compute(conn: psycopg.AsyncConnection, version: int) -> bytes:
        return await read_wedding_day_alerts(Source(conn, version, state.catalog), audience)

    return await analytics_answer(request, state, principal, audience.params(), compute)
