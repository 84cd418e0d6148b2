"""`/healthz` (alive), `/readyz` (which dependency is down; backup age), `/metrics` (Prometheus)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from redis.exceptions import RedisError

from serving.api.deps import State
from serving.api.schemas import HealthAnswer, ReadinessAnswer
from serving.core.db import WAREHOUSE_DOWN
from serving.core.observability import RequestMetrics
from wedsync.wedding_day import guardrails, uk_today

router = APIRouter(tags=["health"])

_LAST_BACKUP_AGE = "select extract(epoch from now() - max(finished_at))::float8 from app.backups"


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
    """Ready when Postgres answers; Redis is best effort, so it is reported, not required.

    While the warehouse breaker is open the answer comes at once (no connection is tried), and
    `down` names what is unreachable. `last_backup_seconds` is the age of the newest good backup.
    """
    last_backup: float | None = None
    try:
        async with state.pool.connection() as conn:
            row = await (await conn.execute(_LAST_BACKUP_AGE)).fetchone()
        last_backup = row[0] if row else None
        postgres = True
    except WAREHOUSE_DOWN:
        postgres = False
    try:
        redis_up = bool(await state.redis.ping())
    except (RedisError, OSError):
        redis_up = False
    if not postgres:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    alert_seconds = guardrails(uk_today()).backup_alert_hours * 3600
    return ReadinessAnswer(
        status="ready" if postgres else "unavailable",
        postgres=postgres,
        redis=redis_up,
        down=[name for name, up in (("postgres", postgres), ("redis", redis_up)) if not up],
        degraded_seconds=state.pool.breaker.open_seconds,
        last_backup_seconds=last_backup,
        backup_overdue=postgres and (last_backup is None or last_backup > alert_seconds),
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
