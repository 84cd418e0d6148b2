"""The live feed: a per-process hub fanning Redis deltas out to WebSocket dashboards.

`install(app)` is the one entry point `serving.main.create_app` calls: it adds
`GET /api/analytics/realtime` (WebSocket + polling answer), whose router carries the hub's
lifespan (FastAPI merges it into the app's own, after it), and the dashboard page at `/`.
"""

from __future__ import annotations

from fastapi import FastAPI

from serving.api.routes.realtime import router as realtime_router
from serving.dashboard import install_dashboard
from serving.realtime.hub import RealtimeHub


def install(app: FastAPI, redis_url: str) -> None:
    """Add the live feed (its hub subscribing at `redis_url`) and the dashboard to `app`.

    Idempotent (a second call adds nothing). Tests may replace `app.state.realtime_hub`
    before the app starts.
    """
    if hasattr(app.state, "realtime_hub"):
        return
    app.state.realtime_hub = RealtimeHub(redis_url)
    app.include_router(realtime_router)
    install_dashboard(app)
