"""`GET /api/usage`: the caller's own API usage per key, endpoint and day."""

from __future__ import annotations

import datetime as dt

import orjson
from fastapi import APIRouter, Response
from psycopg.rows import dict_row

from serving.analytics.marts import json_default
from serving.api.deps import AdminPrincipal, State, warehouse_unavailable
from serving.api.routes.metrics import (
    READ_RESPONSES,
    End,
    Start,
    SupplierFilter,
    check_range,
    visible_supplier,
)
from serving.api.schemas import UsageAnswer
from serving.core.db import WAREHOUSE_DOWN
from serving.security.tenancy import tenant_scope

router = APIRouter(prefix="/api", tags=["usage"])

DEFAULT_DAYS = 30
# Platform callers see their own key's usage unless they name a supplier (billing).
_USAGE = """
select key_id, supplier_id, day, endpoint, requests, errors, throttled
from app.api_usage
where day between %(start)s and %(end)s
  and (%(supplier_id)s::text is not null and supplier_id = %(supplier_id)s
       or %(supplier_id)s::text is null and key_id = %(key_id)s)
order by day, key_id, endpoint
"""


@router.get(
    "/usage",
    response_model=UsageAnswer,
    summary="Your API usage (requests, errors, throttled) per key, endpoint and day",
    responses=READ_RESPONSES,
)
async def usage(
    state: State,
    principal: AdminPrincipal,
    supplier_id: SupplierFilter = None,
    start: Start = None,
    end: End = None,
) -> Response:
    """Requests per key, endpoint and day; a supplier sees every key of its own.

    Admin roles only (usage is billing). Recorded in batches every few seconds, so the very
    latest requests may not show yet. Default range: the last 30 days.
    """
    end = end or dt.datetime.now(dt.UTC).date()
    default_span = dt.timedelta(days=DEFAULT_DAYS - 1)
    # An `end` in year 1 cannot go back 30 days: start at the first date there is.
    start = start or (end - default_span if end - dt.date.min > default_span else dt.date.min)
    check_range(start, end)
    supplier = visible_supplier(principal, supplier_id)
    params = {"start": start, "end": end, "supplier_id": supplier, "key_id": principal.key_id}
    try:
        async with (
            state.pool.connection() as conn,
            tenant_scope(conn, principal),
            conn.cursor(row_factory=dict_row) as cursor,
        ):
            await cursor.execute(_USAGE, params)
            rows = await cursor.fetchall()
    except WAREHOUSE_DOWN as error:
        raise warehouse_unavailable() from error
    answer = {
        "supplier_id": supplier,
        "start": start,
        "end": end,
        "total_requests": sum(row["requests"] for row in rows),
        "usage": rows,
    }
    return Response(orjson.dumps(answer, default=json_default), media_type="application/json")
