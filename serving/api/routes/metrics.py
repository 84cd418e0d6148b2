"""`GET /api/analytics/metrics`: a supplier's performance and its markets, cached by version."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, get_args

import psycopg
from fastapi import APIRouter, HTTPException, Query, Request, Response, status

from serving.analytics.marts import Grain, MetricsQuery, read_metrics
from serving.api.answers import Compute, analytics_answer
from serving.api.deps import LimitedPrincipal, ServingState, State
from serving.api.direct_reads import DirectRead, single_values
from serving.api.schemas import ErrorAnswer, MetricsAnswer
from serving.cache.responses import normalize_query
from wedsync.api_keys import Principal
from wedsync.vendor_types import VENDOR_TYPES, VendorType
from wedsync.warehouse.dataset_versions import ANALYTICS_DATASET

router = APIRouter(prefix="/api/analytics", tags=["analytics"])

SUPPLIER_ID_PATTERN = r"^sup_[0-9]{6}$"
SupplierFilter = Annotated[
    str | None,
    Query(
        pattern=SUPPLIER_ID_PATTERN,
        description="Platform keys: one supplier (default: all). Supplier keys: their own id.",
        examples=["sup_000123"],
    ),
]
Start = Annotated[dt.date | None, Query(description="First month/day included.")]
End = Annotated[dt.date | None, Query(description="Last month/day included.")]

READ_RESPONSES: dict[int | str, dict[str, object]] = {
    304: {"description": "Not modified (the `If-None-Match` ETag still matches)"},
    401: {"model": ErrorAnswer},
    403: {"model": ErrorAnswer, "description": "The tier or role does not include this"},
    404: {"model": ErrorAnswer, "description": "Another supplier's id"},
    422: {"description": "A parameter is invalid; `detail[].loc` names it"},
    429: {"model": ErrorAnswer, "description": "Over the tier's rate limit; see `Retry-After`"},
    503: {"model": ErrorAnswer, "description": "Marts not built yet, or Postgres down"},
}


def visible_supplier(principal: Principal, requested: str | None) -> str | None:
    """The supplier whose rows the caller sees; another supplier's id is not found (404)."""
    if principal.is_platform:
        return requested
    if requested is not None and requested != principal.supplier_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"supplier {requested} not found")
    return principal.supplier_id


def check_range(start: dt.date | None, end: dt.date | None) -> None:
    """422 naming both fields when the range is backwards."""
    if start is not None and end is not None and start > end:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, detail=f"start {start} is after end {end}"
        )


@router.get(
    "/metrics",
    response_model=MetricsAnswer,
    summary="Vendor performance, seasonal demand, daily activity and funnel",
    responses=READ_RESPONSES,
)
async def metrics(
    request: Request,
    state: State,
    principal: LimitedPrincipal,
    supplier_id: SupplierFilter = None,
    start: Start = None,
    end: End = None,
    grain: Annotated[
        Grain | None,
        Query(
            description="Roll the daily activity up to `week` or `month` (summed, with the "
            "enquiry-to-booking conversion and its 95% Wilson interval). The monthly marts "
            "stay monthly."
        ),
    ] = None,
    vendor_type: Annotated[
        VendorType | None,
        Query(description="Only rows of this vendor type (marts that carry one)."),
    ] = None,
) -> Response:
    """The caller's rows of the analytics marts (a platform key sees every supplier).

    Answers carry `X-Cache: hit|miss`, an `ETag` and `X-Dataset-Version`; a new build of the
    marts moves the version, so its numbers are served at once. Every tier may call this.
    """
    check_range(start, end)
    query = MetricsQuery(visible_supplier(principal, supplier_id), start, end, grain, vendor_type)
    return await analytics_answer(
        request, state, principal, query.as_params(), _computation(state, query)
    )


def _computation(state: ServingState, query: MetricsQuery) -> Compute:
    async def compute(conn: psycopg.AsyncConnection, version: int) -> bytes:
        return await read_metrics(conn, query, version, state.catalog)

    return compute


_SUPPLIER_ID = re.compile(SUPPLIER_ID_PATTERN)
#: The only date form read here: what pydantic also reads as exactly that day.
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_GRAINS: dict[str, Grain] = {grain: grain for grain in get_args(Grain)}
_PARAMETERS = ("supplier_id", "start", "end", "grain", "vendor_type")


def _iso_date(value: str | None) -> dt.date | None:
    """A `YYYY-MM-DD` date; ValueError for any other text (the full stack then answers)."""
    if value is None:
        return None
    if not _ISO_DATE.fullmatch(value):
        raise ValueError(value)
    return dt.date.fromisoformat(value)


def direct_read(
    state: ServingState, principal: Principal, query_string: bytes
) -> DirectRead | None:
    """This route's read of a request its validation accepts as it is (`serving.api.direct_reads`).

    None for anything else (an unknown, repeated or invalid parameter, another supplier's id, a
    backwards range): the full stack answers those, with its 422 or 404.
    """
    values = single_values(query_string, _PARAMETERS)
    if values is None:
        return None
    supplier_id, grain, vendor_type = (
        values.get(n) for n in ("supplier_id", "grain", "vendor_type")
    )
    if supplier_id is not None and not _SUPPLIER_ID.fullmatch(supplier_id):
        return None
    if (grain is not None and grain not in _GRAINS) or (
        vendor_type is not None and vendor_type not in VENDOR_TYPES
    ):
        return None
    try:
        start, end = _iso_date(values.get("start")), _iso_date(values.get("end"))
        check_range(start, end)
        visible = visible_supplier(principal, supplier_id)
    except (ValueError, HTTPException):
        return None
    query = MetricsQuery(
        visible, start, end, None if grain is None else _GRAINS[grain], vendor_type
    )
    return DirectRead(
        ANALYTICS_DATASET, normalize_query(query.as_params()), _computation(state, query)
    )
