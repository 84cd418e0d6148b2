"""Bodies are bounded before anything parses them (finding: deep nesting 500; High #1)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from serving.limits.bodies import DEFAULT_BODY_BYTES, MAX_JSON_DEPTH
from tests.integration.serving.conftest import bearer

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

JSON = {"Content-Type": "application/json"}


async def test_an_event_batch_nested_5000_deep_is_a_400_not_a_500(
    api: httpx.AsyncClient, keys: dict[str, str]
) -> None:
    deep = b"[" + b'{"properties":' * 5000 + b"1" + b"}" * 5000 + b"]"
    answer = await api.post(
        "/api/events", content=deep, headers={**JSON, **bearer(keys["platform"])}
    )
    assert answer.status_code == 400, answer.text
    assert "nest" in answer.json()["detail"]


async def test_a_nested_json_body_is_refused_before_fastapi_parses_it(
    api: httpx.AsyncClient, keys: dict[str, str]
) -> None:
    deep = b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1)
    answer = await api.post(
        "/api/predictions/booking-probability",
        content=deep,
        headers={**JSON, **bearer(keys["platform"])},
    )
    assert answer.status_code == 400
    assert f"at most {MAX_JSON_DEPTH}" in answer.json()["detail"]


@pytest.mark.parametrize("path", ["/api/predictions/booking-probability", "/api/auth/refresh"])
async def test_an_oversized_body_is_refused_unauthenticated_while_it_streams(
    api: httpx.AsyncClient, path: str
) -> None:
    """100 MB offered in 64 KiB chunks, made as they are sent: refused after the first few."""
    chunks_sent = 0

    async def hundred_megabytes() -> AsyncIterator[bytes]:
        nonlocal chunks_sent
        for _ in range(1600):
            chunks_sent += 1
            yield b" " * 65_536

    answer = await api.post(path, content=hundred_megabytes(), headers=JSON)
    assert answer.status_code == 413
    assert str(DEFAULT_BODY_BYTES) in answer.json()["detail"]
    assert chunks_sent <= 3


async def test_a_declared_length_over_the_limit_is_refused_without_reading(
    api: httpx.AsyncClient,
) -> None:
    answer = await api.post(
        "/api/auth/refresh",
        content=b"{}",
        headers={**JSON, "Content-Length": str(100 * 1024 * 1024)},
    )
    assert answer.status_code == 413
