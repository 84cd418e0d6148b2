"""API usage per key, GDPR erasure of a couple, and the Prometheus metrics."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI

from tests.integration.serving.conftest import PHOTOGRAPHER, VENUE, bearer
from wedsync.warehouse import connect

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

METRICS = "/api/analytics/metrics"
COUPLE = "cpl_000077"
OTHER_COUPLE = "cpl_000078"
LINEAGE = "'2026-05-01', 'tests', 1"


async def test_usage_is_recorded_per_key_and_endpoint_off_the_request_path(
    app: FastAPI, api: httpx.AsyncClient, marts: str, keys: dict[str, str]
) -> None:
    for _ in range(3):
        await api.get(METRICS, headers=bearer(keys[PHOTOGRAPHER]))
    await api.get("/api/alerts/wedding-day", headers=bearer(keys[PHOTOGRAPHER]))  # 503
    await api.get(METRICS, headers=bearer(keys[VENUE]))
    await api.get(METRICS, headers=bearer(keys[VENUE]))  # 429
    await app.state.serving.usage.flush()

    mine = await api.get("/api/usage", headers=bearer(keys[PHOTOGRAPHER]))
    assert mine.status_code == 200
    rows = {row["endpoint"]: row for row in mine.json()["usage"]}
    assert rows["GET /api/analytics/metrics"]["requests"] == 3
    assert rows["GET /api/alerts/wedding-day"]["errors"] == 1
    assert {row["supplier_id"] for row in mine.json()["usage"]} == {PHOTOGRAPHER}

    await app.state.serving.usage.flush()
    venue = await api.get(
        "/api/usage", params={"supplier_id": VENUE}, headers=bearer(keys["platform"])
    )
    (venue_row,) = venue.json()["usage"]
    assert (venue_row["requests"], venue_row["throttled"]) == (2, 1)
    assert venue.json()["total_requests"] == 2
    other = await api.get(
        "/api/usage", params={"supplier_id": VENUE}, headers=bearer(keys[PHOTOGRAPHER])
    )
    assert other.status_code == 404
    # Found by schemathesis: an `end` in year 1 has no 30 days before it (was a 500).
    first_day = await api.get(
        "/api/usage", params={"end": "0001-01-01"}, headers=bearer(keys[PHOTOGRAPHER])
    )
    assert first_day.status_code == 200
    assert first_day.json()["start"] == "0001-01-01"


def _seed_couples(url: str) -> None:
    with connect(url) as conn:
        conn.execute(
            f"insert into raw.couples values "
            f"('{COUPLE}', 'Ada', 'Grace', 'ada@example.com', 'london', '2025-01-01', {LINEAGE}), "
            f"('{OTHER_COUPLE}', 'Bo', 'Cy', 'bo@example.com', 'wales', '2025-01-02', {LINEAGE})"
        )
        conn.execute(
            f"insert into raw.enquiries (enquiry_id, supplier_id, couple_id, _export_date, "
            f"_source_file, _line) values ('enq_0000001', '{PHOTOGRAPHER}', '{COUPLE}', {LINEAGE}),"
            f" ('enq_0000002', '{VENUE}', '{COUPLE}', {LINEAGE}),"
            f" ('enq_0000003', '{VENUE}', '{OTHER_COUPLE}', {LINEAGE})"
        )
        conn.execute(
            "insert into raw.events (event_id, event_type, occurred_at, supplier_id, couple_id, "
            "properties) values (%s, 'enquiry_created', now(), %s, %s, '{}')",
            (uuid.uuid4(), PHOTOGRAPHER, COUPLE),
        )
        conn.commit()


async def test_erasure_nulls_personal_data_pseudonymises_ids_and_is_audited(
    api: httpx.AsyncClient, warehouse_url: str, keys: dict[str, str]
) -> None:
    _seed_couples(warehouse_url)
    erased = await api.delete(f"/api/couples/{COUPLE}", headers=bearer(keys["platform"]))
    assert erased.status_code == 200
    assert erased.json()["rows"] == {
        "raw.couples": 1,
        "raw.enquiries": 2,
        "raw.bookings": 0,
        "raw.reviews": 0,
        "raw.events": 1,
    }
    with connect(warehouse_url) as conn:
        tombstone = conn.execute(
            "select couple_id, partner_one_name, partner_two_name, email, region "
            "from raw.couples where couple_id <> %s",
            (OTHER_COUPLE,),
        ).fetchone()
        assert tombstone is not None
        pseudonym = tombstone[0]
        assert pseudonym.startswith("cpl_erased_")
        assert tombstone[1:] == (None, None, None, "london")
        # Every table now names the same pseudonym; the other couple is untouched.
        enquiry_couples = conn.execute(
            "select couple_id from raw.enquiries order by enquiry_id"
        ).fetchall()
        assert enquiry_couples == [(pseudonym,), (pseudonym,), (OTHER_COUPLE,)]
        assert conn.execute("select couple_id from raw.events").fetchall() == [(pseudonym,)]
        assert conn.execute(
            "select email from raw.couples where couple_id = %s", (OTHER_COUPLE,)
        ).fetchone() == ("bo@example.com",)
        audit = conn.execute(
            "select actor, subject, details -> 'rows' ->> 'raw.enquiries' from app.audit_log "
            "where action = 'couple.erased'"
        ).fetchall()
    assert audit == [(f"api:{keys['platform'].split('_')[1]}", COUPLE, "2")]
    assert pseudonym not in str(audit)

    again = await api.delete(f"/api/couples/{COUPLE}", headers=bearer(keys["platform"]))
    assert again.status_code == 404
    supplier = await api.delete(f"/api/couples/{OTHER_COUPLE}", headers=bearer(keys[PHOTOGRAPHER]))
    assert supplier.status_code == 403


async def test_prometheus_metrics_count_requests_by_route_and_status(
    api: httpx.AsyncClient, marts: str, keys: dict[str, str]
) -> None:
    await api.get(METRICS, headers=bearer(keys[PHOTOGRAPHER]))
    await api.get(f"/api/suppliers/{PHOTOGRAPHER}/performance", headers=bearer(keys[PHOTOGRAPHER]))
    await api.get(METRICS)
    exposition = await api.get("/metrics")
    assert exposition.status_code == 200
    assert exposition.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = exposition.text
    assert (
        'wedsync_api_requests_total{method="GET",route="/api/analytics/metrics",status="200"} 1'
        in text
    )
    assert 'route="/api/analytics/metrics",status="401"} 1' in text
    assert 'route="/api/suppliers/{supplier_id}/performance",status="200"} 1' in text
    assert (
        'wedsync_api_request_duration_seconds_bucket{route="/api/analytics/metrics",le="+Inf"} 2'
        in text
    )
    assert "# TYPE wedsync_api_request_duration_seconds histogram" in text
