"""`/api/analytics/realtime` on a real uvicorn: handshake auth, snapshot, live deltas, ETag."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import orjson
import pytest
import redis.asyncio as redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

from serving.api.routes.realtime import install
from serving.main import create_app
from tests.integration.realtime.conftest import REALTIME_REDIS_URL, serving, unique_supplier
from tests.support import throwaway_database
from wedsync.api_keys import create_api_key
from wedsync.events.live import counter_key
from wedsync.settings import get_settings
from wedsync.warehouse import apply_schema
from wedsync.warehouse import connect as connect_warehouse

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

PHOTOGRAPHER = unique_supplier()
FLORIST = unique_supplier()
RECEIVE_TIMEOUT_SECONDS = 5.0


@pytest.fixture
def warehouse_url() -> Iterator[str]:
    with throwaway_database("wedsync_realtime") as url:
        with connect_warehouse(url) as conn:
            apply_schema(conn)
        yield url


@pytest.fixture
def keys(warehouse_url: str) -> dict[str, str]:
    with connect_warehouse(warehouse_url) as conn:
        return {
            "platform": create_api_key(conn, None, "platform", "realtime tests"),
            PHOTOGRAPHER: create_api_key(conn, PHOTOGRAPHER, "professional", "realtime tests"),
            FLORIST: create_api_key(conn, FLORIST, "professional", "realtime tests"),
        }


@pytest.fixture
async def host(warehouse_url: str, live_redis: redis.Redis) -> AsyncIterator[str]:
    """The API with the live feed installed, served by uvicorn on a free port."""
    settings = dataclasses.replace(
        get_settings(), database_url=warehouse_url, redis_url=REALTIME_REDIS_URL
    )
    app = create_app(settings)
    install(app, settings.redis_url)
    async with serving(app) as address:
        yield address


def events_for(supplier_id: str, event_type: str, n: int = 1) -> list[dict[str, object]]:
    now = dt.datetime.now(dt.UTC).isoformat()
    return [
        {
            "event_id": str(uuid.uuid4()),
            "event_type": event_type,
            "occurred_at": now,
            "supplier_id": supplier_id,
            "couple_id": "cpl_000042",
        }
        for _ in range(n)
    ]


async def post_events(
    host: str, key: str, events: list[dict[str, object]], live: redis.Redis
) -> None:
    """POST through the ingest endpoint, then wait for its (after-response) counter bump."""
    supplier_id = str(events[0]["supplier_id"])
    counters = counter_key(supplier_id, dt.datetime.now(dt.UTC).date())
    before = sum(int(n) for n in (await live.hgetall(counters)).values())
    async with httpx.AsyncClient(base_url=f"http://{host}") as client:
        answer = await client.post(
            "/api/events", json=events, headers={"Authorization": f"Bearer {key}"}
        )
    assert answer.status_code == 202, answer.text
    assert answer.json()["accepted"] == len(events)
    for _ in range(500):
        if sum(int(n) for n in (await live.hgetall(counters)).values()) >= before + len(events):
            return
        await asyncio.sleep(0.01)
    pytest.fail(f"the live counters of {supplier_id} never counted the {len(events)} events")


async def receive(
    feed: ClientConnection, kind: str, supplier_id: str | None = None
) -> dict[str, Any]:
    """The next frame of `kind` (and of `supplier_id`, when given), skipping the others.

    A platform feed hears every publisher on the Redis server, other test runs included.
    """
    while True:
        frame = orjson.loads(await feed.recv(decode=True))
        if frame["type"] == kind and supplier_id in (None, frame.get("supplier_id")):
            return frame


async def test_supplier_feed_starts_with_its_snapshot_then_gets_its_own_deltas_only(
    host: str, keys: dict[str, str], live_redis: redis.Redis
) -> None:
    await post_events(
        host, keys[PHOTOGRAPHER], events_for(PHOTOGRAPHER, "profile_view", 3), live_redis
    )
    await post_events(host, keys[FLORIST], events_for(FLORIST, "profile_view"), live_redis)
    url = f"ws://{host}/api/analytics/realtime"
    offered = [Subprotocol("wedsync.v1"), Subprotocol(f"bearer.{keys[PHOTOGRAPHER]}")]
    async with connect(url, subprotocols=offered, open_timeout=RECEIVE_TIMEOUT_SECONDS) as feed:
        snapshot = await receive(feed, "snapshot")
        assert snapshot["suppliers"] == {PHOTOGRAPHER: {"profile_view": 3}}

        await post_events(host, keys[FLORIST], events_for(FLORIST, "enquiry_created"), live_redis)
        await post_events(
            host, keys[PHOTOGRAPHER], events_for(PHOTOGRAPHER, "enquiry_created", 2), live_redis
        )
        delta = await receive(feed, "delta")
        assert delta["supplier_id"] == PHOTOGRAPHER
        assert list(delta["days"].values()) == [{"enquiry_created": 2}]


async def test_platform_feed_follows_every_supplier_with_a_bearer_header(
    host: str, keys: dict[str, str], live_redis: redis.Redis
) -> None:
    await post_events(host, keys[FLORIST], events_for(FLORIST, "quote_sent"), live_redis)
    headers = {"Authorization": f"Bearer {keys['platform']}"}
    async with connect(f"ws://{host}/api/analytics/realtime", additional_headers=headers) as feed:
        snapshot = await receive(feed, "snapshot")
        assert snapshot["suppliers"] == {FLORIST: {"quote_sent": 1}}
        await post_events(
            host, keys[PHOTOGRAPHER], events_for(PHOTOGRAPHER, "booking_confirmed"), live_redis
        )
        delta = await receive(feed, "delta", PHOTOGRAPHER)
        assert delta["days"] == {
            dt.datetime.now(dt.UTC).date().isoformat(): {"booking_confirmed": 1}
        }


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (None, b"missing API key or access token"),
        ("wsk_000000000000_not-a-real-secret-at-all", b"unknown or revoked API key"),
        ("junk.junk.junk", b"invalid access token"),
    ],
)
async def test_handshake_without_a_valid_credential_is_refused_with_401(
    host: str, keys: dict[str, str], token: str | None, reason: bytes
) -> None:
    # In the header: `?token=` takes access tokens only (tests/integration/security).
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with pytest.raises(InvalidStatus) as refused:
        async with connect(f"ws://{host}/api/analytics/realtime", additional_headers=headers):
            pass
    assert refused.value.response.status_code == 401
    assert reason in refused.value.response.body


async def test_polling_answer_has_an_etag_and_304_until_a_counter_moves(
    host: str, keys: dict[str, str], live_redis: redis.Redis
) -> None:
    auth = {"Authorization": f"Bearer {keys[FLORIST]}"}
    await post_events(host, keys[FLORIST], events_for(FLORIST, "rsvp_updated"), live_redis)
    async with httpx.AsyncClient(base_url=f"http://{host}", headers=auth) as client:
        first = await client.get("/api/analytics/realtime")
        assert first.status_code == 200
        assert first.json()["suppliers"] == {FLORIST: {"rsvp_updated": 1}}
        etag = first.headers["etag"]

        unchanged = await client.get("/api/analytics/realtime", headers={"If-None-Match": etag})
        assert unchanged.status_code == 304

        await post_events(host, keys[FLORIST], events_for(FLORIST, "rsvp_updated"), live_redis)
        moved = await client.get("/api/analytics/realtime", headers={"If-None-Match": etag})
        assert moved.status_code == 200
        assert moved.json()["suppliers"] == {FLORIST: {"rsvp_updated": 2}}

    async with httpx.AsyncClient(base_url=f"http://{host}") as anonymous:
        assert (await anonymous.get("/api/analytics/realtime")).status_code == 401


async def test_browsers_authenticate_with_a_bearer_subprotocol(
    host: str, keys: dict[str, str], live_redis: redis.Redis
) -> None:
    await post_events(host, keys[FLORIST], events_for(FLORIST, "profile_view", 2), live_redis)
    offered = [Subprotocol("wedsync.v1"), Subprotocol(f"bearer.{keys[FLORIST]}")]
    async with connect(f"ws://{host}/api/analytics/realtime", subprotocols=offered) as feed:
        # The server picks the feed's protocol and never echoes the key back.
        assert feed.subprotocol == "wedsync.v1"
        assert (await receive(feed, "snapshot"))["suppliers"] == {FLORIST: {"profile_view": 2}}


async def test_an_access_token_opens_the_feed_and_a_forged_one_is_refused(
    host: str, keys: dict[str, str], live_redis: redis.Redis
) -> None:
    async with httpx.AsyncClient(base_url=f"http://{host}") as client:
        issued = await client.post(
            "/api/auth/token", headers={"Authorization": f"Bearer {keys[PHOTOGRAPHER]}"}
        )
    assert issued.status_code == 200, issued.text
    access_token = issued.json()["access_token"]
    await post_events(host, keys[PHOTOGRAPHER], events_for(PHOTOGRAPHER, "quote_sent"), live_redis)

    offered = [Subprotocol("wedsync.v1"), Subprotocol(f"bearer.{access_token}")]
    async with connect(f"ws://{host}/api/analytics/realtime", subprotocols=offered) as feed:
        snapshot = await receive(feed, "snapshot")
        assert snapshot["suppliers"] == {PHOTOGRAPHER: {"quote_sent": 1}}

    forged = access_token[:-4] + ("AAAA" if not access_token.endswith("AAAA") else "BBBB")
    with pytest.raises(InvalidStatus) as refused:
        async with connect(f"ws://{host}/api/analytics/realtime?token={forged}"):
            pass
    assert refused.value.response.status_code == 401
    assert b"signature" in refused.value.response.body.lower()
