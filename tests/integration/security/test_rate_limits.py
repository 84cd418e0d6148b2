"""Every authenticated route is rate limited, WebSockets per tier too (Medium #5; Low: unknown
tier, Redis down)."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import pytest
import redis.asyncio as redis
from fastapi import FastAPI
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

from serving.api.deps import ServingState, limit_for
from serving.core.config import AUTH_EXCHANGES_PER_WINDOW
from serving.limits.ratelimit import RateLimiter
from tests.integration.serving.conftest import DEAD_REDIS_URL, VENUE, bearer
from wedsync.api_keys import Principal

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


def venue_event() -> dict[str, str]:
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": "profile_view",
        "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
        "supplier_id": VENUE,
    }


@pytest.mark.parametrize("route", ["events", "usage"])
async def test_a_free_admin_key_is_limited_on_events_and_usage(
    api: httpx.AsyncClient, keys: dict[str, str], route: str
) -> None:
    async def call() -> httpx.Response:
        if route == "events":
            return await api.post("/api/events", json=[venue_event()], headers=bearer(keys[VENUE]))
        return await api.get("/api/usage", headers=bearer(keys[VENUE]))

    first, second = await call(), await call()
    assert first.status_code != 429
    assert second.status_code == 429
    assert "Retry-After" in second.headers


async def test_token_exchanges_are_limited_even_for_unlimited_tiers(
    api: httpx.AsyncClient, keys: dict[str, str]
) -> None:
    statuses = [
        (await api.post("/api/auth/token", headers=bearer(keys["platform"]))).status_code
        for _ in range(AUTH_EXCHANGES_PER_WINDOW + 1)
    ]
    assert statuses[:-1] == [200] * AUTH_EXCHANGES_PER_WINDOW
    assert statuses[-1] == 429


async def test_a_free_key_holds_at_most_its_tiers_websockets(
    host: str, keys: dict[str, str]
) -> None:
    url = f"ws://{host}/api/analytics/realtime"
    protocols = [Subprotocol("wedsync.v1"), Subprotocol(f"bearer.{keys[VENUE]}")]
    async with connect(url, subprotocols=protocols), connect(url, subprotocols=protocols):
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url, subprotocols=protocols):
                pass
    assert refused.value.response.status_code == 429
    # Closing frees the places: the tenant may connect again.
    async with connect(url, subprotocols=protocols) as feed:
        await feed.recv()


async def test_an_unknown_tier_gets_the_strictest_limit(app: FastAPI) -> None:
    state: ServingState = app.state.serving
    gold = Principal("0123456789ab", "sup_000009", "gold", "supplier_admin")
    strictest = min(limit for limit in state.config.rate_limits.values() if limit is not None)
    assert limit_for(state, gold) == strictest


async def test_with_redis_down_the_workers_together_keep_the_limit() -> None:
    client = redis.Redis.from_url(DEAD_REDIS_URL, socket_connect_timeout=0.25)
    allowed = 0
    for worker in [RateLimiter(client, 60, workers=2) for _ in range(2)]:
        for _ in range(4):
            allowed += (await worker.hit("sup_000009", 4)).allowed
    await client.aclose()
    assert allowed == 4
