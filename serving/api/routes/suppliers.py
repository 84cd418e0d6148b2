"""`GET /api/suppliers/{supplier_id}/performance` and `/network`: one supplier and its market."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import psycopg
from fastapi import APIRouter, HTTPException, Path, Request, Response, status

from serving.analytics.insights import SupplierNotFound, read_supplier_performance
from serving.analytics.readers import Source
from serving.analytics.vendor_network import read_supplier_network
from serving.api.answers import analytics_answer
from serving.api.deps import AnalyticsPrincipal, State
from serving.api.insight_schemas import SupplierPerformanceAnswer
from serving.api.network_schemas import SupplierNetworkAnswer
from serving.api.routes.metrics import READ_RESPONSES, visible_supplier

router = APIRouter(prefix="/api/suppliers", tags=["suppliers"])

#: A supplier named in the path.
SupplierPath = Annotated[str, Path(pattern=r"^sup_[0-9]{6}$", examples=["sup_000123"])]
#: Reads one supplier's answer from the marts; raises `SupplierNotFound`.
SupplierReader = Callable[[Source, str], Awaitable[bytes]]


async def _supplier_answer(
    request: Request,
    state: State,
    principal: AnalyticsPrincipal,
    supplier_id: str,
    read: SupplierReader,
) -> Response:
    """The cached answer about one supplier the caller may see; another supplier's id is 404."""
    visible = visible_supplier(principal, supplier_id)
    assert visible is not None  # the path always names a supplier

    async def compute(conn: psycopg.AsyncConnection, version: int) -> bytes:
        return await read(Source(conn, version, state.catalog), visible)

    try:
        return await analytics_answer(request, state, principal, {}, compute)
    except SupplierNotFound as error:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=f"supplier {supplier_id} not found"
        ) from error


@router.get(
    "/{supplier_id}/performance",
    response_model=SupplierPerformanceAnswer,
    summary="A supplier's performance, totals with confidence interval, market benchmark",
    responses=READ_RESPONSES,
)
async def supplier_performance(
    request: Request, state: State, principal: AnalyticsPrincipal, supplier_id: SupplierPath
) -> Response:
    """The supplier's months of performance and totals; another supplier's id is `404`.

    Professional tier and above; a platform key may ask for any supplier.
    """
    return await _supplier_answer(request, state, principal, supplier_id, read_supplier_performance)


@router.get(
    "/{supplier_id}/network",
    response_model=SupplierNetworkAnswer,
    summary="A supplier's co-booking partners and referral strength against chance",
    responses=READ_RESPONSES,
)
async def supplier_network(
    request: Request, state: State, principal: AnalyticsPrincipal, supplier_id: SupplierPath
) -> Response:
    """The suppliers this supplier's couples also booked, and how much more often than chance
    they booked them soon after it; another supplier's id is `404`.

    Professional tier and above; a platform key may ask for any supplier.
    """
    return await _supplier_answer(request, state, principal, supplier_id, read_supplier_network)
