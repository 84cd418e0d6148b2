"""Revocation bites at once: access tokens and open WebSockets of a revoked key (High #2)."""

from __future__ import annotations

import asyncio
import os

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from serving.security.tokens import TokenSigner, load_secret
from tests.integration.serving.conftest import PHOTOGRAPHER, bearer
from wedsync.api_keys import Principal, create_api_key, parse_key_id, revoke_api_key
from wedsync.warehouse import connect as connect_warehouse

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

METRICS = "/api/analytics/metrics"
#: A bound on waiting for a revocation to arrive (it comes in milliseconds; this is no timing test).
WAIT_SECONDS = 10.0


def revoke(warehouse_url: str, key: str) -> None:
    with connect_warehouse(warehouse_url) as conn:
        assert revoke_api_key(conn, str(parse_key_id(key)), actor="security tests")


async def status_after_revocation(api: httpx.AsyncClient, path: str, token: str) -> int:
    """The first status other than 200 that `path` answers the token, within `WAIT_SECONDS`."""
    for _ in range(int(WAIT_SECONDS / 0.05)):
        answer = await api.get(path, headers=bearer(token))
        if answer.status_code != 200:
            return answer.status_code
        await asyncio.sleep(0.05)
    return 200


async def test_a_revoked_keys_access_token_stops_working(
    api: httpx.AsyncClient, marts: str, keys: dict[str, str]
) -> None:
    with connect_warehouse(marts) as conn:
        key = create_api_key(conn, None, "platform", "to revoke")
    token = (await api.post("/api/auth/token", headers=bearer(key))).json()["access_token"]
    # Twice: the second is served by the hot path, which must check revocation too.
    for _ in range(2):
        assert (await api.get(METRICS, headers=bearer(token))).status_code == 200
    revoke(marts, key)
    assert await status_after_revocation(api, METRICS, token) == 401
    erasure = await api.delete("/api/couples/cpl_000001", headers=bearer(token))
    assert erasure.status_code == 401
    assert "revoked" in erasure.json()["detail"]


async def test_a_websocket_is_closed_with_1008_when_its_key_is_revoked(
    host: str, warehouse_url: str
) -> None:
    with connect_warehouse(warehouse_url) as conn:
        key = create_api_key(conn, PHOTOGRAPHER, "professional", "to revoke")
    async with connect(
        f"ws://{host}/api/analytics/realtime",
        subprotocols=[Subprotocol("wedsync.v1"), Subprotocol(f"bearer.{key}")],
    ) as feed:
        await asyncio.wait_for(feed.recv(), WAIT_SECONDS)  # the snapshot
        revoke(warehouse_url, key)
        with pytest.raises(ConnectionClosed) as closed:
            async with asyncio.timeout(WAIT_SECONDS):
                while True:
                    await feed.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008


async def test_a_websocket_is_closed_with_1008_when_its_token_expires(
    host: str, warehouse_url: str, keys: dict[str, str]
) -> None:
    if "WEDSYNC_JWT_SECRET" in os.environ:
        secret = os.environ["WEDSYNC_JWT_SECRET"].encode()
    else:
        secret = load_secret()
    viewer = Principal(
        str(parse_key_id(keys[PHOTOGRAPHER])), PHOTOGRAPHER, "professional", "supplier_admin"
    )
    token = TokenSigner(secret, lifetime_seconds=1).issue(viewer)
    async with connect(
        f"ws://{host}/api/analytics/realtime",
        subprotocols=[Subprotocol("wedsync.v1"), Subprotocol(f"bearer.{token}")],
    ) as feed:
        with pytest.raises(ConnectionClosed) as closed:
            async with asyncio.timeout(WAIT_SECONDS + 10):
                while True:
                    await feed.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008
    assert "expired" in closed.value.rcvd.reason
