"""The hot path: repeated cached reads answered from a worker's memory as the full stack would."""

from __future__ import annotations

import asyncio
import gc

import httpx
import pytest
import redis
from fastapi import FastAPI

from serving.limits.ratelimit import window_key
from tests.integration.serving.conftest import (
    PHOTOGRAPHER,
    VENUE,
    bearer,
    client_of,
    serve,
)
from tests.integration.serving.test_metrics import take_the_warehouse_away, version_pushed
from wedsync.api_keys import create_api_key
from wedsync.warehouse import connect
from wedsync.warehouse.served import publish_build

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

METRICS = "/api/analytics/metrics"
INSIGHTS = "/api/analytics/wedding-insights"
#: Headers whose values both paths must give alike (the date and rate-limit counts move).
SAME_HEADERS = ("content-type", "content-length", "etag", "x-cache", "x-dataset-version",
                "cache-control", "x-ratelimit-limit")  # fmt: skip


def hot_reads(app: FastAPI) -> int:
    """Answers the app's hot path has given so far."""
    count: int = app.state.request_metrics.hot_reads
    return count


async def test_a_serving_worker_keeps_its_startup_objects_out_of_full_collections(
    warehouse_url: str, redis_db: redis.Redis, marts: str, keys: dict[str, str]
) -> None:
    # Walked by every full pass, they stopped a worker's loop ~200 ms every ~10 s under load.
    before = gc.get_freeze_count()
    async with serve(warehouse_url) as app, client_of(app) as api:
        frozen = gc.get_freeze_count()
        for _ in range(2):
            response = await api.get(METRICS, headers=bearer(keys[PHOTOGRAPHER]))
            assert response.status_code == 200
        assert hot_reads(app) == 1
        assert frozen - before > 100_000
        assert len(gc.get_objects(generation=2)) < frozen / 10
    assert gc.get_freeze_count() == before  # handed back: the next app's garbage is collected


async def test_a_repeat_is_answered_from_memory_with_the_full_stacks_answer(
    app: FastAPI, api: httpx.AsyncClient, marts: str, keys: dict[str, str]
) -> None:
    headers = bearer(keys[PHOTOGRAPHER])
    params = {"start": "2026-05-01", "grain": "month"}
    miss = await api.get(METRICS, params=params, headers=headers)  # the full stack computes
    assert (miss.headers["x-cache"], hot_reads(app)) == ("miss", 0)
    hot = await api.get(METRICS, params=params, headers=headers)
    assert hot_reads(app) == 1

    assert hot.status_code == 200
    assert hot.content == miss.content
    assert {n: hot.headers[n] for n in SAME_HEADERS} == {
        **{n: miss.headers[n] for n in SAME_HEADERS},
        "x-cache": "hit",
    }
    assert int(hot.headers["x-ratelimit-remaining"]) < int(miss.headers["x-ratelimit-remaining"])

    not_modified = await api.get(
        METRICS, params=params, headers={**headers, "If-None-Match": hot.headers["etag"]}
    )
    assert (not_modified.status_code, not_modified.content) == (304, b"")
    assert hot_reads(app) == 2
    # Metrics count the hot path's answers under their route, as the full stack's.
    exposition = (await api.get("/metrics")).text
    assert (
        'wedsync_api_requests_total{method="GET",route="/api/analytics/metrics",status="200"} 2'
        in exposition
    )
    assert 'route="/api/analytics/metrics",status="304"} 1' in exposition
    assert "wedsync_api_hot_reads_total 2" in exposition


async def test_what_was_learned_for_one_caller_serves_no_other(
    insight_marts: str, redis_db: redis.Redis, keys: dict[str, str]
) -> None:
    with connect(insight_marts) as conn:
        free = create_api_key(conn, PHOTOGRAPHER, "free", "tests")
    async with serve(insight_marts, rate_limits={"free": 100}) as app, client_of(app) as api:
        for _ in range(2):
            mine = await api.get(METRICS, headers=bearer(keys[PHOTOGRAPHER]))
        # Another supplier's identical request is its own: the full stack answers its rows.
        theirs = await api.get(METRICS, headers=bearer(keys[VENUE]))
        assert hot_reads(app) == 1
        assert {r["supplier_id"] for r in mine.json()["vendor_performance"]} == {PHOTOGRAPHER}
        assert {r["supplier_id"] for r in theirs.json()["vendor_performance"]} == {VENUE}
        # A free key of the same supplier is still refused what the professional key is given.
        for _ in range(2):
            assert (await api.get(INSIGHTS, headers=bearer(keys[PHOTOGRAPHER]))).status_code == 200
        refused = await api.get(INSIGHTS, headers=bearer(free))
        assert refused.status_code == 403
        # Asking for another supplier's id is the full stack's 404 every time.
        for _ in range(2):
            other = await api.get(
                METRICS, params={"supplier_id": VENUE}, headers=bearer(keys[PHOTOGRAPHER])
            )
            assert other.status_code == 404
        assert hot_reads(app) == 2


async def test_a_new_build_is_never_served_stale_by_the_hot_path(
    app: FastAPI, api: httpx.AsyncClient, marts: str, keys: dict[str, str]
) -> None:
    headers = bearer(keys[PHOTOGRAPHER])
    for _ in range(2):
        before = await api.get(METRICS, headers=headers)
    assert hot_reads(app) == 1
    with connect(marts) as conn:
        conn.execute("update marts.vendor_performance set enquiries = 41 where enquiries = 40")
        _, version = publish_build(conn)
    await version_pushed(app, version)
    after = await api.get(METRICS, headers=headers)
    assert after.headers["x-cache"] == "miss"
    assert after.headers["x-dataset-version"] == str(version)
    assert after.json()["vendor_performance"][0]["enquiries"] == 41
    assert before.json()["vendor_performance"][0]["enquiries"] == 40


async def test_the_hot_path_counts_against_the_limit_and_leaves_refusals_to_the_full_stack(
    marts: str, redis_db: redis.Redis, keys: dict[str, str]
) -> None:
    async with (
        serve(marts, rate_limits={"professional": 3}) as app,
        client_of(app) as client,
    ):
        answers = [await client.get(METRICS, headers=bearer(keys[PHOTOGRAPHER])) for _ in range(4)]
        assert hot_reads(app) == 2  # the second and third; the fourth was over the limit
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert "professional tier" in answers[3].json()["detail"]
    assert redis_db.zcard(window_key(PHOTOGRAPHER)) == 3


async def test_with_postgres_down_a_cached_read_is_answered_stale_without_the_pool(
    app: FastAPI, api: httpx.AsyncClient, marts: str, keys: dict[str, str]
) -> None:
    """Issue 16's 50 ms bound, as counts rather than time: once the breaker is open, every
    cached read is the hot path's and none asks the pool for a connection."""
    headers = bearer(keys[PHOTOGRAPHER])
    cached = await api.get(METRICS, headers=headers)
    pool = app.state.serving.pool
    await take_the_warehouse_away(app, marts)
    for _ in range(500):  # the listener's loss makes the breaker probe, and the probe fails
        if pool.breaker.is_open:
            break
        await asyncio.sleep(0.01)
    assert pool.breaker.is_open
    hot_before, pool_requests_before = hot_reads(app), pool.get_stats().get("requests_num", 0)

    answers = [await api.get(METRICS, headers=headers) for _ in range(20)]

    assert {(a.status_code, a.content, a.headers["x-cache"]) for a in answers} == {
        (200, cached.content, "hit")
    }
    assert all("Stale" in a.headers["warning"] for a in answers)
    assert hot_reads(app) - hot_before == len(answers)
    assert pool.get_stats().get("requests_num", 0) == pool_requests_before
