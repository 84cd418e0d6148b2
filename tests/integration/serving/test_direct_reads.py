"""The direct path of new reads: a known caller's new metrics query answered without FastAPI,
exactly as the full stack answers it; everything else left to the full stack."""

from __future__ import annotations

import httpx
import pytest
import redis
from fastapi import FastAPI

from tests.integration.serving.conftest import PHOTOGRAPHER, bearer, client_of, serve
from tests.integration.serving.test_hot_reads import SAME_HEADERS

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

METRICS = "/api/analytics/metrics"


def direct_reads(app: FastAPI) -> int:
    """Answers the app's direct path has given so far."""
    count: int = app.state.request_metrics.direct_reads
    return count


def full_stack_only(app: FastAPI) -> FastAPI:
    """The app without the hot and direct paths: every request through FastAPI's stack."""
    app.hot_reads = None  # type: ignore[attr-defined]
    return app


#: (caller, query parameters) of new queries the direct path takes.
NEW_QUERIES = [
    (PHOTOGRAPHER, {"start": "2026-05-01", "end": "2026-05-31"}),
    (PHOTOGRAPHER, {"grain": "month", "vendor_type": "photographer"}),
    # A supplier naming itself sees what it sees without naming itself.
    (PHOTOGRAPHER, {"supplier_id": PHOTOGRAPHER, "end": "2026-06-30"}),
    ("platform", {"supplier_id": "sup_000002"}),
    ("platform", {"grain": "week", "start": "2026-01-01"}),
]


async def test_a_new_query_is_answered_directly_as_the_full_stack_answers_it(
    insight_marts: str, redis_db: redis.Redis, keys: dict[str, str]
) -> None:
    answers: dict[str, list[httpx.Response]] = {"direct": [], "full": []}
    for path in ("direct", "full"):
        redis_db.flushdb()  # both compute (x-cache: miss) at the same data version
        async with serve(insight_marts) as app, client_of(app) as api:
            if path == "full":
                full_stack_only(app)
            for caller in {caller for caller, _ in NEW_QUERIES}:
                # The caller's first request verifies its key (full stack); then it is known.
                assert (await api.get("/api/usage", headers=bearer(keys[caller]))).is_success
            for caller, params in NEW_QUERIES:
                response = await api.get(METRICS, params=params, headers=bearer(keys[caller]))
                answers[path].append(response)
            assert direct_reads(app) == (len(NEW_QUERIES) if path == "direct" else 0)
            exposition = (await api.get("/metrics")).text
            assert (
                'wedsync_api_requests_total{method="GET",route="/api/analytics/metrics",'
                f'status="200"}} {len(NEW_QUERIES)}' in exposition
            )
    for direct, full in zip(answers["direct"], answers["full"], strict=True):
        assert (direct.status_code, full.status_code) == (200, 200)
        assert direct.content == full.content
        # (Platform keys have no limit, so no `X-RateLimit-Limit`.)
        assert {n: direct.headers.get(n) for n in SAME_HEADERS} == {
            n: full.headers.get(n) for n in SAME_HEADERS
        }
        assert direct.headers["x-cache"] == "miss"


async def test_what_the_direct_path_does_not_take_gets_the_full_stacks_answer(
    app: FastAPI, api: httpx.AsyncClient, marts: str, keys: dict[str, str]
) -> None:
    mine = bearer(keys[PHOTOGRAPHER])
    assert (await api.get("/api/usage", headers=mine)).is_success  # the key is known now
    refused = {
        "another supplier's id": ({"supplier_id": "sup_000002"}, 404),
        "a day that does not exist": ({"start": "2026-02-30"}, 422),
        "a date in another form": ({"start": "20260501"}, 422),
        "a backwards range": ({"start": "2026-06-01", "end": "2026-05-01"}, 422),
        "an unknown grain": ({"grain": "year"}, 422),
        "an unknown vendor type": ({"vendor_type": "juggler"}, 422),
        "a malformed supplier id": ({"supplier_id": "sup_1\n"}, 422),
    }
    for reason, (params, status) in refused.items():
        response = await api.get(METRICS, params=params, headers=mine)
        assert response.status_code == status, reason
    # Accepted by FastAPI, but read there: a repeated parameter (the last one counts) and an
    # unknown one (ignored).
    repeated = await api.get(METRICS, params=[("end", "2026-01-01"), ("end", "2026-05-31")],
                             headers=mine)  # fmt: skip
    assert repeated.status_code == 200
    assert [row["month"] for row in repeated.json()["vendor_performance"]] == ["2026-05-01"]
    assert (await api.get(METRICS, params={"page": "2"}, headers=mine)).status_code == 200
    assert direct_reads(app) == 0


async def test_a_request_handed_on_is_counted_once_against_the_limit(
    warehouse_url: str, redis_db: redis.Redis, keys: dict[str, str]
) -> None:
    # No marts built: the direct path takes the query, the computation finds no marts and the
    # full stack answers the 503 naming them, without counting the request a second time.
    async with serve(warehouse_url) as app, client_of(app) as api:
        mine = bearer(keys[PHOTOGRAPHER])
        first = await api.get(METRICS, headers=mine)  # the full stack: the key is new here
        handed_on = await api.get(METRICS, params={"grain": "month"}, headers=mine)
    assert (first.status_code, handed_on.status_code) == (503, 503)
    assert "marts.vendor_performance" in handed_on.json()["detail"]
    assert int(handed_on.headers["x-ratelimit-remaining"]) == (
        int(first.headers["x-ratelimit-remaining"]) - 1
    )
    assert direct_reads(app) == 0
