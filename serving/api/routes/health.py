"""`/healthz` (alive), `/readyz` (Postgres answers; Redis is reported), `/metrics` (Prometheus)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from redis.exceptions import RedisError

from serving.api.deps import State
from serving.api.schemas import HealthAnswer, ReadinessAnswer
from serving.core.db import WAREHOUSE_DOWN
from serving.core.observability import RequestMetrics

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthAnswer, summary="Liveness")
async def healthz() -> HealthAnswer:
    """Always `ok` while the process serves requests, even before the marts exist."""
    return HealthAnswer(status="ok")


@router.get(
    "/readyz",
    response_model=ReadinessAnswer,
    summary="Readiness",
    responses={503: {"model": ReadinessAnswer, "description": "Postgres does not answer"}},
)
async def readyz(state: State, response: Response) -> ReadinessAnswer:
    """Ready when Postgres answers; Redis is best effort, so it is reported, not required."""
    try:
        async with state.pool.connection() as conn:
            await conn.execute("select 1")
        postgres = True
    except WAREHOUSE_DOWN:
        postgres = False
    try:
        redis_up = bool(await state.redis.ping())
    except (RedisError, OSError):
        redis_up = False
    if not postgres:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return ReadinessAnswer(
        status="ready" if postgres else "unavailable", postgres=postgres, redis=redis_up
    )


@router.get(
    "/metrics",
    summary="Prometheus metrics of this worker",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"example": "wedsync_api_requests_total{...} 42"}}}},
)
async def prometheus_metrics(request: Request) -> Response:
    """Request counts per route and status, and latency histograms, in the text format."""
    request_metrics: RequestMetrics = request.app.state.request_metrics
    return Response(request_metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
