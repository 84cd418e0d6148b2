"""Builds the API: `create_app()` for tests and tools, `app` for `uvicorn serving.main:app`.

Each uvicorn worker opens its own Postgres pool and Redis client in the lifespan. The pool
opens without waiting, so the API starts (and `/healthz` answers) before Postgres or the marts
are there; data routes answer 503 with a reason until they are.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from serving.analytics.scoring import ChampionScorer
from serving.api.deps import ServingState
from serving.api.direct_reads import DirectReads
from serving.api.hot_reads import HotReads
from serving.api.routes import (
    alerts,
    auth,
    couple_journey,
    couple_predictions,
    couples,
    events,
    health,
    insights,
    market_gaps,
    metrics,
    predictions,
    quality,
    realtime,
    suppliers,
    usage,
)
from serving.cache.responses import ResponseCache, answer_format
from serving.cache.versions import DatasetVersions
from serving.core.background import stop_background
from serving.core.config import ServingConfig
from serving.core.db import create_pool, prepare_warehouse
from serving.core.observability import ObservabilityMiddleware, RequestAccounting, RequestMetrics
from serving.dashboard import install_dashboard
from serving.limits.bodies import BodyLimit
from serving.limits.connections import ConnectionCaps
from serving.limits.ratelimit import RateLimiter
from serving.limits.usage import UsageRecorder
from serving.limits.wedding_day import WeddingDayPriority
from serving.live.counters import LiveCounters
from serving.live.heap import startup_frozen
from serving.security.keys import KeyRing
from serving.security.revocations import KeyRevocations
from serving.security.tokens import TokenSigner, load_secret
from wedsync.redis_clients import async_client, is_cluster
from wedsync.settings import Settings, get_settings

# Redis is best effort: a dead Redis must cost a request milliseconds, not seconds.
REDIS_TIMEOUT_SECONDS = 0.25

DESCRIPTION = """
Analytics for wedding suppliers and the WedSync team, and the live-event intake.

Authenticate with `Authorization: Bearer <api key>` (`wedsync keys create --supplier ID --tier T`),
or with an access token from `POST /api/auth/token`. A supplier's key sees that supplier's rows
only (enforced by row-level security in Postgres); a `platform` key sees every supplier.

Tiers: **free** — basic metrics only, 1 request/min; **professional** — all analytics,
100 requests/min; **enterprise** — no limit. A supplier with a confirmed wedding today or
tomorrow always gets at least the professional limit. Over the limit: `429` with `Retry-After`.
"""


class ServingApp(FastAPI):
    """The API, with the hot path of cached reads in front of FastAPI's whole stack.

    Outside even Starlette's middleware: for the requests it answers, the hot path's point is
    to skip every layer it does not need (see `serving.api.hot_reads`).
    """

    hot_reads: HotReads | None = None

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        # Every request's body is bounded before anything (the hot path included) sees it.
        self._bounded = BodyLimit(self._serve)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._bounded(scope, receive, send)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.hot_reads is not None and await self.hot_reads.answer(scope, send):
            return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None, config: ServingConfig | None = None) -> FastAPI:
    """The FastAPI application, wired to the warehouse and Redis of `settings`."""
    settings = settings or get_settings()
    config = config or ServingConfig.from_env(settings)
    request_metrics = RequestMetrics()
    # Per-request code finds the worker's state here: a dict lookup, where Starlette's
    # `app.state` costs an attribute hook on every request.
    current: dict[str, ServingState] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # A weak secret refuses the start before anything is opened that would need closing.
        tokens = TokenSigner(load_secret())
        await asyncio.to_thread(prepare_warehouse, settings.database_url)
        pool = create_pool(config.api_database_url)
        await pool.open(wait=False)
        replica_pool = None
        if config.api_replica_database_url is not None:
            replica_pool = create_pool(config.api_replica_database_url)
            await replica_pool.open(wait=False)
        client = async_client(
            settings.redis_url,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
        )
        revocations = KeyRevocations(config.api_database_url)
        keys = KeyRing(pool)
        revocations.on_revoke(keys.forget)
        state = ServingState(
            pool=pool,
            redis=client,
            keys=keys,
            cache=ResponseCache(client, answer_format(app.openapi())),
            live=LiveCounters(client),
            config=config,
            tokens=tokens,
            limiter=RateLimiter(
                client,
                config.rate_window_seconds,
                config.workers,
                exact=is_cluster(settings.redis_url),
            ),
            wedding_day=WeddingDayPriority(pool),
            usage=UsageRecorder(pool),
            scorer=ChampionScorer(settings.mlflow_tracking_uri),
            # The listener is the first to see Postgres go: it makes the breaker probe at once.
            versions=DatasetVersions(config.api_database_url, on_lost=pool.breaker.suspect),
            revocations=revocations,
            connections=ConnectionCaps(client, config.workers),
            replica_pool=replica_pool,
        )
        # The breaker closes only once the listeners are back: cached reads keep answering from
        # the versions they last served until the pushed versions are current again.
        pool.breaker.add_recovery(state.versions.reconnected)
        pool.breaker.add_recovery(state.revocations.reconnected)
        app.state.serving = current["state"] = state
        app.state.request_metrics = request_metrics
        background = [
            asyncio.create_task(state.live.run(), name="live-counters"),
            asyncio.create_task(state.usage.run(), name="api-usage"),
            asyncio.create_task(state.wedding_day.run(), name="wedding-day-priority"),
            asyncio.create_task(state.versions.run(), name="dataset-versions"),
            asyncio.create_task(state.revocations.run(), name="key-revocations"),
            asyncio.create_task(state.connections.run(), name="ws-connection-beats"),
        ]
        try:
            with startup_frozen():
                yield
        finally:
            current.clear()
            await stop_background(background)
            await pool.breaker.stop()
            await pool.close()
            if replica_pool is not None:
                await replica_pool.breaker.stop()
                await replica_pool.close()
            await client.aclose()

    app = ServingApp(
        title="WedSync Analytics API",
        version="0.2.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        # Metrics are our own Prometheus `/metrics`; FastAPI's OpenTelemetry bridge would only
        # look up (absent) providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    for module in (
        health,
        auth,
        events,
        metrics,
        insights,
        market_gaps,
        couple_journey,
        suppliers,
        alerts,
        usage,
        predictions,
        couple_predictions,
        couples,
        quality,
    ):
        app.include_router(module.router)

    serving_state = functools.partial(current.get, "state")
    accounting = RequestAccounting(
        request_metrics, usage=lambda: getattr(serving_state(), "usage", None)
    )
    app.add_middleware(ObservabilityMiddleware, accounting=accounting)
    # New metrics queries of known callers skip FastAPI's stack as well (the uncached path).
    direct_reads = DirectReads({"/api/analytics/metrics": metrics.direct_read}, accounting)
    app.hot_reads = HotReads(serving_state, accounting, direct_reads.answer)
    realtime.install(app, settings.redis_url)
    install_dashboard(app)
    return app


app = create_app()
