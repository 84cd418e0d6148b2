"""`GET /api/predictions/couple-budget` and `GET /api/predictions/review-score` (issue 14)."""

from __future__ import annotations

from typing import Annotated

import psycopg
from fastapi import APIRouter, Query, Request, Response

from serving.analytics.couple_predictions import (
    COUPLE_BUDGETS,
    DEFAULT_LIMIT,
    MAX_LIMIT,
    REVIEW_SCORES,
    PredictionTable,
    read_predictions,
)
from serving.analytics.readers import Source
from serving.api.answers import analytics_answer
from serving.api.deps import AnalyticsPrincipal, State
from serving.api.prediction_schemas import CoupleBudgetAnswer, ReviewScoreAnswer
from serving.api.routes.metrics import READ_RESPONSES, SupplierFilter, visible_supplier
from wedsync.api_keys import Principal

router = APIRouter(prefix="/api/predictions", tags=["predictions"])

Limit = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description="Rows listed (the summary counts every row).")
]


async def _answer(
    request: Request,
    state: State,
    principal: Principal,
    table: PredictionTable,
    supplier_id: str | None,
    limit: int,
) -> Response:
    """The cached answer over the caller's rows of one champion-scored table."""
    visible = visible_supplier(principal, supplier_id)

    async def compute(conn: psycopg.AsyncConnection, version: int) -> bytes:
        return await read_predictions(Source(conn, version, state.catalog), table, visible, limit)

    params = {"supplier_id": visible, "limit": limit}
    return await analytics_answer(request, state, principal, params, compute)


@router.get(
    "/couple-budget",
    response_model=CoupleBudgetAnswer,
    summary="Each couple's estimated total budget, as known at their first enquiry",
    responses=READ_RESPONSES,
)
async def couple_budget(
    request: Request,
    state: State,
    principal: AnalyticsPrincipal,
    supplier_id: SupplierFilter = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Response:
    """The couples whose first enquiry was to the caller (a platform key: every couple,
    narrowed by `supplier_id`), scored by the champion budget model.

    Professional tier and above. `model.champion_is_baseline` says when the estimate is the
    median budget the gate kept because no model beat it.
    """
    return await _answer(request, state, principal, COUPLE_BUDGETS, supplier_id, limit)


@router.get(
    "/review-score",
    response_model=ReviewScoreAnswer,
    summary="The review score each booking awaiting its review is expected to get",
    responses=READ_RESPONSES,
)
async def review_score(
    request: Request,
    state: State,
    principal: AnalyticsPrincipal,
    supplier_id: SupplierFilter = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Response:
    """The caller's bookings awaiting a review (a platform key: every supplier's, narrowed by
    `supplier_id`), least likely to get 4-5 stars first.

    Professional tier and above. `model.champion_is_baseline` says when every booking gets the
    prior share of each score because no model beat it.
    """
    return await _answer(request, state, principal, REVIEW_SCORES, supplier_id, limit)
