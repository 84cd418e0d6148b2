"""Cache keys and the one-computation-per-key rule of the response cache."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
import redis.asyncio as redis
from fastapi import FastAPI
from pydantic import BaseModel

from serving.cache.responses import (
    CachedAnswer,
    Claim,
    LocalAnswers,
    ResponseCache,
    answer_format,
    cache_key,
    etag_of,
    normalize_query,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_the_normalized_query_ignores_order_and_absent_filters() -> None:
    first = normalize_query(
        {"start": dt.date(2026, 5, 1), "supplier_id": "sup_000001", "end": None}
    )
    second = normalize_query({"supplier_id": "sup_000001", "start": "2026-05-01"})
    assert first == second == "start=2026-05-01&supplier_id=sup_000001"
    assert normalize_query({"end": None}) == "-"


def test_the_key_carries_format_tenant_version_and_query() -> None:
    key = cache_key("1a2b3c4d", "sup_000001", 7, "start=2026-05-01")
    assert key == "wedsync:cache:1a2b3c4d:sup_000001:7:start=2026-05-01"


class _Totals(BaseModel):
    enquiries: int


class _TotalsWithRate(BaseModel):
    enquiries: int
    conversion_rate: float | None


def _format_of(answer: type[BaseModel]) -> str:
    app = FastAPI()
    app.get("/metrics", response_model=answer)(lambda: None)
    return answer_format(app.openapi())


def test_the_answer_format_moves_when_an_answer_gains_a_field() -> None:
    """A deploy that adds a field never serves the previous release's cached answers."""
    assert _format_of(_Totals) == _format_of(_Totals)
    assert _format_of(_Totals) != _format_of(_TotalsWithRate)


def test_etags_change_with_the_body() -> None:
    assert etag_of(b"{}") == CachedAnswer.of(b"{}").etag
    assert etag_of(b"{}") != etag_of(b"[]")
    assert etag_of(b"{}").startswith('"') and len(etag_of(b"{}")) == 34


async def test_concurrent_misses_compute_once_and_a_dead_redis_leaves_the_worker_memory() -> None:
    # Nothing listens on port 1: every Redis call fails; only this worker's memory answers.
    cache = ResponseCache(redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.1))
    computations = 0

    async def compute() -> bytes:
        nonlocal computations
        computations += 1
        await asyncio.sleep(0.05)
        return b'{"enquiries": 40}'

    claims = [await cache.lookup("k") for _ in range(5)]
    assert all(isinstance(claim, Claim) and claim.held for claim in claims)  # Redis down
    answers = await asyncio.gather(
        *(cache.compute_once("k", compute, claim) for claim in claims if isinstance(claim, Claim))
    )
    assert computations == 1
    assert {answer.body for answer in answers} == {b'{"enquiries": 40}'}
    assert await cache.get("k") == answers[0]
    assert await cache.get("another") is None


def test_the_worker_memory_drops_the_least_recently_used_beyond_its_bounds() -> None:
    local = LocalAnswers(max_entries=2, max_bytes=10)
    local.put("a", CachedAnswer.of(b"1234"))
    local.put("b", CachedAnswer.of(b"5678"))
    assert local.get("a") is not None  # now "b" is the least recently used
    local.put("c", CachedAnswer.of(b"90"))
    assert local.get("a") is not None
    assert local.get("b") is None
    local.put("d", CachedAnswer.of(b"123456789"))  # 9 bytes: only "d" fits in 10
    assert [key for key in "acd" if local.get(key) is not None] == ["d"]
    local.put("huge", CachedAnswer.of(b"x" * 11))
    assert local.get("huge") is None
