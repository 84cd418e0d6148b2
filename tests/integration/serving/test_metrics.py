"""`GET /api/analytics/metrics`: the right supplier's numbers, auth, cache and its version."""

from __future__ import annotations

import asyncio

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from psycopg import sql

from tests.integration.serving.conftest import (
    DEAD_REDIS_URL,
    PHOTOGRAPHER,
    VENUE,
    after_dbt_build,
    bearer,
    client_of,
    serve,
)
from wedsync.api_keys import revoke_api_key
from wedsync.warehouse import connect
from wedsync.warehouse.dataset_versions import ANALYTICS_DATASET, bump_dataset_version
from wedsync.warehouse.served import publish_build

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

METRICS = "/api/analytics/metrics"


async def test_health_and_docs_answer_before_the_marts_exist(
    api: httpx.AsyncClient, keys: dict[str, str]
) -> None:
    assert (await api.get("/healthz")).json() == {"status": "ok"}
    ready = (await api.get("/readyz")).json()
    assert (ready["status"], ready["postgres"], ready["redis"], ready["down"]) == (
        "ready",
        True,
        True,
        [],
    )
    assert ready["last_backup_seconds"] is None  # no backup was ever taken of this warehouse
    assert ready["backup_overdue"] is True
    assert (await api.get("/docs")).status_code == 200
    paths = (await api.get("/openapi.json")).json()["paths"]
    assert {METRICS, "/api/events", "/api/quality", "/healthz"} <= set(paths)

    response = await api.get(METRICS, headers=bearer(keys[PHOTOGRAPHER]))
    assert response.status_code == 503
    assert "marts.vendor_performance" in response.json()["detail"]


async def test_missing_wrong_and_revoked_keys_are_refused_with_a_reason(
    api: httpx.AsyncClient, marts: str, keys: dict[str, str]
) -> None:
    missing = await api.get(METRICS)
    assert missing.status_code == 401
    assert "Authorization" in missing.json()["detail"]
    assert missing.headers["www-authenticate"] == "Bearer"

    forged = keys[PHOTOGRAPHER][:-4] + "AAAA"
    for key in (forged, "not-a-key", keys[PHOTOGRAPHER].replace("wsk_", "xyz_")):
        wrong = await api.get(METRICS, headers=bearer(key))
        assert wrong.status_code == 401
        assert wrong.json()["detail"] == "unknown or revoked API key"

    with connect(marts) as conn:
        assert revoke_api_key(conn, keys[VENUE].split("_")[1])
    assert (await api.get(METRICS, headers=bearer(keys[VENUE]))).status_code == 401


async def test_a_supplier_sees_its_own_rows_and_its_markets(
    api: httpx.AsyncClient, marts: str, keys: dict[str, str]
) -> None:
    response = await api.get(METRICS, headers=bearer(keys[PHOTOGRAPHER]))
    assert response.status_code == 200
    answer = response.json()
    assert answer["supplier_id"] == PHOTOGRAPHER
    performance = answer["vendor_performance"]
    assert [(r["supplier_id"], r["month"], r["enquiries"], r["bookings"]) for r in performance] == [
        (PHOTOGRAPHER, "2026-05-01", 40, 10),
        (PHOTOGRAPHER, "2026-06-01", 30, 6),
    ]
    assert performance[0]["revenue_gbp"] == 18500.0
    assert performance[0]["conversion_ci_low"] == 0.14
    # The two months summed, with the 95% Wilson interval of 16/70 (as dbt's wilson_bound).
    assert answer["vendor_performance_totals"] == {
        "months": 2,
        "enquiries": 70,
        "bookings": 16,
        "cancellations": 1,
        "revenue_gbp": 29500.0,
        "conversion_rate": 0.2286,
        "conversion_ci_low": 0.1459,
        "conversion_ci_high": 0.3395,
    }
    assert [(r["vendor_type"], r["region"]) for r in answer["seasonal_bookings"]] == [
        ("photographer", "london")
    ]
    assert answer["supplier_daily_activity"] is None
    assert answer["lead_funnel"] is None

    other = await api.get(
        METRICS, params={"supplier_id": VENUE}, headers=bearer(keys[PHOTOGRAPHER])
    )
    assert other.status_code == 404

    june = await api.get(
        METRICS, params={"start": "2026-06-01"}, headers=bearer(keys[PHOTOGRAPHER])
    )
    assert [r["month"] for r in june.json()["vendor_performance"]] == ["2026-06-01"]
    june_totals = june.json()["vendor_performance_totals"]
    assert (june_totals["months"], june_totals["enquiries"], june_totals["bookings"]) == (1, 30, 6)

    bad = await api.get(METRICS, params={"start": "2026-02-30"}, headers=bearer(keys[PHOTOGRAPHER]))
    assert bad.status_code == 422
    assert "start" in bad.text


async def test_a_platform_key_sees_every_supplier_or_filters_one(
    api: httpx.AsyncClient, marts: str, keys: dict[str, str]
) -> None:
    everyone = (await api.get(METRICS, headers=bearer(keys["platform"]))).json()
    assert everyone["supplier_id"] is None
    assert len(everyone["vendor_performance"]) == 3
    assert len(everyone["seasonal_bookings"]) == 3

    venue = await api.get(METRICS, params={"supplier_id": VENUE}, headers=bearer(keys["platform"]))
    rows = venue.json()["vendor_performance"]
    assert [(r["supplier_id"], r["revenue_gbp"]) for r in rows] == [(VENUE, 54000.0)]
    assert [r["region"] for r in venue.json()["seasonal_bookings"]] == ["wales"]


async def test_cache_hits_then_a_new_build_is_visible_at_once(
    app: FastAPI, api: httpx.AsyncClient, marts: str, keys: dict[str, str]
) -> None:
    headers = bearer(keys[PHOTOGRAPHER])
    first = await api.get(METRICS, headers=headers)
    second = await api.get(METRICS, headers=headers)
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")
    assert first.content == second.content

    not_modified = await api.get(
        METRICS, headers={**headers, "If-None-Match": first.headers["etag"]}
    )
    assert not_modified.status_code == 304
    assert not_modified.content == b""

    with connect(marts) as conn:
        conn.execute("update marts.vendor_performance set enquiries = 41 where enquiries = 40")
        conn.commit()
    # Until the build is published and its version moves, the cached answer stands...
    assert (await api.get(METRICS, headers=headers)).json()["vendor_performance"][0][
        "enquiries"
    ] == 40
    with connect(marts) as conn:
        _, version = publish_build(conn)
    # ...and once it moves, Postgres pushes it to the worker (no request needed)...
    await version_pushed(app, version)
    # ...and the new build is served straight away.
    rebuilt = await api.get(METRICS, headers=headers)
    assert rebuilt.headers["x-cache"] == "miss"
    assert rebuilt.headers["x-dataset-version"] == str(version) == "1"
    assert rebuilt.json()["vendor_performance"][0]["enquiries"] == 41
    assert rebuilt.headers["etag"] != first.headers["etag"]
    stale_etag = await api.get(METRICS, headers={**headers, "If-None-Match": first.headers["etag"]})
    assert stale_etag.status_code == 200


async def test_event_marts_join_the_answer_once_dbt_built_them(
    api: httpx.AsyncClient, marts: str, keys: dict[str, str]
) -> None:
    with connect(marts) as conn:
        conn.execute(
            "create table marts.supplier_daily_activity (supplier_id text, activity_date date, "
            "views bigint, enquiries bigint, revenue_gbp numeric);"
            "insert into marts.supplier_daily_activity values "
            "('sup_000001', '2026-05-02', 7, 2, 0), ('sup_000001', '2026-05-01', 5, 1, 150.5), "
            "('sup_000002', '2026-05-01', 9, 9, 0)"
        )
        after_dbt_build(conn)
        bump_dataset_version(conn, ANALYTICS_DATASET)
    answer = (await api.get(METRICS, headers=bearer(keys[PHOTOGRAPHER]))).json()
    assert answer["supplier_daily_activity"] == [
        {
            "supplier_id": PHOTOGRAPHER,
            "activity_date": "2026-05-01",
            "views": 5,
            "enquiries": 1,
            "revenue_gbp": 150.5,
        },
        {
            "supplier_id": PHOTOGRAPHER,
            "activity_date": "2026-05-02",
            "views": 7,
            "enquiries": 2,
            "revenue_gbp": 0.0,
        },
    ]
    assert answer["lead_funnel"] is None


async def version_pushed(app: FastAPI, version: int) -> None:
    """Wait until the worker's versions watcher has received `version` from Postgres."""
    for _ in range(500):
        if app.state.serving.versions.current(ANALYTICS_DATASET) == version:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"version {version} was not pushed to the worker")


async def take_the_warehouse_away(app: FastAPI, url: str) -> None:
    """Postgres refuses this database from now on and drops every connection the API holds."""
    name = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("alter database {} allow_connections false").format(sql.Identifier(name))
        )
        conn.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity "
            "where datname = %s and pid <> pg_backend_pid()",
            (name,),
        )
    # The versions watcher learns its connection is gone from its event loop: wait for it.
    for _ in range(500):
        if not app.state.serving.versions.live:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the dataset versions watcher did not notice the warehouse going away")


async def test_cached_answers_outlive_postgres_going_away(
    app: FastAPI, api: httpx.AsyncClient, marts: str, keys: dict[str, str]
) -> None:
    headers = bearer(keys[PHOTOGRAPHER])
    cached = await api.get(METRICS, headers=headers)
    await take_the_warehouse_away(app, marts)

    stale = await api.get(METRICS, headers=headers)
    assert stale.status_code == 200
    assert stale.content == cached.content
    assert "Stale" in stale.headers["warning"]

    uncached = await api.get(METRICS, params={"start": "2026-06-01"}, headers=headers)
    assert uncached.status_code == 503
    assert "unavailable" in uncached.json()["detail"]
    assert (await api.get("/healthz")).status_code == 200
    readiness = await api.get("/readyz")
    assert readiness.status_code == 503
    assert readiness.json()["down"] == ["postgres"]


async def test_with_redis_down_answers_come_from_postgres_and_the_workers_memory(
    marts: str, keys: dict[str, str]
) -> None:
    async with serve(marts, DEAD_REDIS_URL) as app, client_of(app) as client:
        answers = [await client.get(METRICS, headers=bearer(keys[PHOTOGRAPHER])) for _ in range(2)]
    # Computed from Postgres once, then served from the worker's memory (Redis is best effort).
    assert [a.headers["x-cache"] for a in answers] == ["miss", "hit"]
    assert answers[0].content == answers[1].content
    rows = answers[1].json()["vendor_performance"]
    assert {r["supplier_id"] for r in rows} == {PHOTOGRAPHER}
