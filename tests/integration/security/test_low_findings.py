"""The low findings: non-ASCII bearers, keys in URLs, dashboard headers and sign-in, logs."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from serving.dashboard import STATIC_DIR
from serving.live.hub import RealtimeHub
from tests.integration.serving.conftest import PHOTOGRAPHER, bearer

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

METRICS = "/api/analytics/metrics"


@pytest.mark.parametrize("credential", ["wsk_é", "é.é.é", "eyJ.é.x"])
async def test_a_non_ascii_bearer_is_a_401_on_both_paths(
    api: httpx.AsyncClient, marts: str, keys: dict[str, str], credential: str
) -> None:
    # Once to warm the hot path with a learned read, then the non-ASCII bearer twice.
    assert (await api.get(METRICS, headers=bearer(keys["platform"]))).status_code == 200
    headers = {"Authorization": b"Bearer " + credential.encode("latin-1", "replace")}
    for _ in range(2):
        assert (await api.get(METRICS, headers=headers)).status_code == 401


async def test_an_api_key_in_the_url_is_refused(host: str, keys: dict[str, str]) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(f"ws://{host}/api/analytics/realtime?token={keys[PHOTOGRAPHER]}"):
            pass
    assert refused.value.response.status_code == 401
    # An access token in the URL still works (short-lived, for clients without headers).
    async with httpx.AsyncClient(base_url=f"http://{host}") as client:
        token = (await client.post("/api/auth/token", headers=bearer(keys[PHOTOGRAPHER]))).json()
    async with connect(f"ws://{host}/api/analytics/realtime?token={token['access_token']}") as feed:
        await feed.recv()


@pytest.mark.parametrize("path", ["/", "/dashboard/dashboard.js"])
async def test_the_dashboard_carries_a_csp_and_security_headers(
    api: httpx.AsyncClient, path: str
) -> None:
    answer = await api.get(path)
    assert answer.status_code == 200
    csp = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["X-Frame-Options"] == "DENY"


def test_the_dashboard_signs_in_by_token_exchange_and_never_stores_the_key() -> None:
    script = (STATIC_DIR / "dashboard.js").read_text()
    assert "/api/auth/token" in script and "/api/auth/refresh" in script
    stored = [line for line in script.splitlines() if "sessionStorage.setItem" in line]
    assert stored and all("refresh_token" in line for line in stored)


async def test_the_hub_never_logs_its_redis_password(caplog: pytest.LogCaptureFixture) -> None:
    hub = RealtimeHub("redis://:hunter2-secret@127.0.0.1:1/0")
    with caplog.at_level(logging.DEBUG, logger="serving.live.hub"):
        await hub.start()
        await asyncio.sleep(0.5)
        await hub.stop()
    assert caplog.records
    assert "hunter2" not in caplog.text
