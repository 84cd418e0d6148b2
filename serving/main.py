"""Builds the API: `create_app()` for tests and tools, `app` for `uvicorn serving.main:app`.

Each uvicorn worker opens its own Postgres pool and Redis client in the lifespan. The pool
opens without waiting, so the API starts (and `/healthz` answers) before Postgres or the marts
are there; data routes answer 503 with a reason until they are.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as redis
from fastapi import FastAPI

from serving.api.deps import ServingState
from serving.api.routes import events, health, metrics, quality
from serving.auth import KeyRing
from serving.cache import ResponseCache
from serving.db import create_pool, prepare_warehouse
from serving.live import LiveCounters
from wedsync.settings import Settings, get_settings

# Redis is best effort: a dead Redis must cost a request milliseconds, not seconds.
REDIS_TIMEOUT_SECONDS = 0.25

DESCRIPTION = """
Analytics for wedding suppliers and the WedSync team, and the live-event intake.

Authenticate with `Authorization: Bearer <api key>` (`wedsync keys create --supplier ID --tier T`).
A supplier's key sees that supplier's rows only; a `platform` key sees every supplier.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """The FastAPI application, wired to the warehouse and Redis of `settings`."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(prepare_warehouse, settings.database_url)
        pool = create_pool(settings.database_url)
        await pool.open(wait=False)
        client = redis.Redis.from_url(
            settings.redis_url,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
        )
        live = LiveCounters(client)
        app.state.serving = ServingState(
            pool=pool, redis=client, keys=KeyRing(pool), cache=ResponseCache(client), live=live
        )
        flusher = asyncio.create_task(live.run(), name="live-counters")
        try:
            yield
        finally:
            flusher.cancel()
            await asyncio.gather(flusher, return_exceptions=True)
            await pool.close()
            await client.aclose()

    app = FastAPI(
        title="WedSync Analytics API",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    for module in (health, events, metrics, quality):
        app.include_router(module.router)
    return app


app = create_app()
