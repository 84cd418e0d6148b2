"""`GET /api/analytics/metrics`: a supplier's performance and its markets, cached by version."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import psycopg
from fastapi import APIRouter, HTTPException, Query, Request, Response, status

from serving.api.answers import cached_answer
from serving.api.deps import CurrentPrincipal, State
from serving.cache import normalize_query
from serving.marts import MartsNotBuilt, MetricsQuery, read_metrics
from serving.schemas import ErrorAnswer, MetricsAnswer
from wedsync.api_keys import Principal
from wedsync.warehouse.dataset_versions import ANALYTICS_DATASET

router = APIRouter(prefix="/api/analytics", tags=["analytics"])

SupplierFilter = Annotated[
    str | None,
    Query(
        pattern=r"^sup_[0-9]{6}$",
        description="Platform keys: one supplier (default: all). Supplier keys: their own id.",
    ),
]


def _visible_supplier(principal: Principal, requested: str | None) -> str | None:
    """The supplier whose rows the caller sees; another supplier's id is not found (404)."""
    if principal.is_platform:
        return requested
    if requested is not None and requested != principal.supplier_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"supplier {requested} not found")
    return principal.supplier_id


@router.get(
    "/metrics",
    response_model=MetricsAnswer,
    summary="Vendor performance, seasonal demand, daily activity and funnel",
    responses={
        304: {"description": "Not modified (the `If-None-Match` ETag still matches)"},
        401: {"model": ErrorAnswer},
        404: {"model": ErrorAnswer, "description": "Another supplier's id"},
        422: {"model": ErrorAnswer},
        503: {"model": ErrorAnswer, "description": "Marts not built yet, or Postgres down"},
    },
)
async def metrics(
    request: Request,
    state: State,
    principal: CurrentPrincipal,
    supplier_id: SupplierFilter = None,
    start: Annotated[dt.date | None, Query(description="First month/day included.")] = None,
    end: Annotated[dt.date | None, Query(description="Last month/day included.")] = None,
) -> Response:
    """The caller's rows of the analytics marts (a platform key sees every supplier).

    Answers carry `X-Cache: hit|miss`, an `ETag` and `X-Dataset-Version`; a new build of the
    marts moves the version, so its numbers are served at once.
    """
    if start is not None and end is not None and start > end:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, detail=f"start {start} is after end {end}"
        )
    query = MetricsQuery(_visible_supplier(principal, supplier_id), start, end)

    async def compute(conn: psycopg.AsyncConnection, version: int) -> bytes:
        return await read_metrics(conn, query, version)

    try:
        return await cached_answer(
            request,
            state,
            dataset=ANALYTICS_DATASET,
            tenant=principal.tenant,
            query=normalize_query(
                {"supplier_id": query.supplier_id, "start": query.start, "end": query.end}
            ),
            compute=compute,
        )
    except MartsNotBuilt as error:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, detail=str(error), headers={"Retry-After": "60"}
        ) from error
