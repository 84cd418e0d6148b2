"""`GET /api/quality`: the latest result of every data-quality rule, with its trend (platform)."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Response
from psycopg.rows import dict_row

from serving.api.deps import PlatformPrincipal, State, warehouse_unavailable
from serving.api.schemas import ErrorAnswer, QualityAnswer
from serving.core.db import WAREHOUSE_DOWN

router = APIRouter(prefix="/api", tags=["quality"])

# Check results are a history written by every check run; the trend is the newest runs per rule.
_LATEST_PER_RULE = """
with ranked as (
    select rule_id, table_name, severity, success, unexpected_count, unexpected_pct,
           checked_at,
           row_number() over (partition by rule_id order by checked_at desc, id desc) as recency
    from quality.check_results
)
select rule_id,
       (array_agg(table_name order by recency))[1] as table_name,
       (array_agg(severity order by recency))[1] as severity,
       (array_agg(success order by recency))[1] as success,
       (array_agg(unexpected_count order by recency))[1] as unexpected_count,
       (array_agg(unexpected_pct order by recency))[1] as unexpected_pct,
       max(checked_at) as checked_at,
       array_agg(unexpected_count order by recency desc) as trend
from ranked
where recency <= %(runs)s
group by rule_id
order by (array_agg(success order by recency))[1], rule_id
"""


@router.get(
    "/quality",
    response_model=QualityAnswer,
    summary="Data-quality rules: latest status and trend",
    responses={
        401: {"model": ErrorAnswer},
        403: {"model": ErrorAnswer},
        503: {"model": ErrorAnswer},
    },
)
async def quality(
    state: State,
    principal: PlatformPrincipal,
    runs: Annotated[int, Query(ge=1, le=100, description="Runs per rule in the trend.")] = 10,
) -> Response:
    """Each rule's latest check (failing rules first) and its unexpected counts over `runs` runs."""
    try:
        async with state.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(_LATEST_PER_RULE, {"runs": runs})
            rules = await cursor.fetchall()
    except WAREHOUSE_DOWN as error:
        raise warehouse_unavailable() from error
    return Response(orjson.dumps({"rules": rules}), media_type="application/json")
