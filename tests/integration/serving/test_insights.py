"""Wedding insights, supplier performance, wedding-day alerts and the metrics filters."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.serving.conftest import PHOTOGRAPHER, VENUE, after_dbt_build, bearer
from wedsync.warehouse import connect

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

METRICS = "/api/analytics/metrics"
INSIGHTS = "/api/analytics/wedding-insights"


async def test_insights_show_the_suppliers_markets_and_what_ml_has_published(
    api: httpx.AsyncClient, insight_marts: str, keys: dict[str, str]
) -> None:
    answer = await api.get(INSIGHTS, headers=bearer(keys[PHOTOGRAPHER]))
    assert answer.status_code == 200
    insights = answer.json()
    assert [(r["vendor_type"], r["region"]) for r in insights["seasonal_demand"]] == [
        ("photographer", "london")
    ]
    assert [r["quarter"] for r in insights["market_benchmarks"]] == ["2026-01-01", "2026-04-01"]
    assert insights["pipeline_value"] == [
        {
            "supplier_id": PHOTOGRAPHER,
            "open_enquiries": 8,
            "expected_bookings": 1.9,
            "expected_revenue_gbp": 3420.0,
        }
    ]
    # Not published by the ML assets yet: null, not an error.
    assert insights["demand_forecast"] is None
    assert insights["price_advice"] is None
    assert answer.headers["x-cache"] == "miss"
    assert (await api.get(INSIGHTS, headers=bearer(keys[PHOTOGRAPHER]))).headers["x-cache"] == "hit"


async def test_platform_insights_filter_by_market(
    api: httpx.AsyncClient, insight_marts: str, keys: dict[str, str]
) -> None:
    wales = await api.get(
        INSIGHTS,
        params={"vendor_type": "venue", "region": "wales"},
        headers=bearer(keys["platform"]),
    )
    assert [r["region"] for r in wales.json()["seasonal_demand"]] == ["wales"]
    everything = await api.get(INSIGHTS, headers=bearer(keys["platform"]))
    assert len(everything.json()["market_benchmarks"]) == 3
    bad = await api.get(
        INSIGHTS, params={"vendor_type": "juggler"}, headers=bearer(keys["platform"])
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "vendor_type"]


async def test_supplier_performance_has_totals_with_a_confidence_interval(
    api: httpx.AsyncClient, insight_marts: str, keys: dict[str, str]
) -> None:
    answer = await api.get(
        f"/api/suppliers/{PHOTOGRAPHER}/performance", headers=bearer(keys[PHOTOGRAPHER])
    )
    assert answer.status_code == 200
    performance = answer.json()
    totals = performance["totals"]
    assert (totals["enquiries"], totals["bookings"], totals["revenue_gbp"]) == (70, 16, 29500.0)
    assert totals["conversion_rate"] == round(16 / 70, 4)
    # The 95% Wilson interval of 16/70, as dbt's wilson_bound macro computes it in SQL.
    assert (totals["conversion_ci_low"], totals["conversion_ci_high"]) == (0.1459, 0.3395)
    assert totals["avg_rating"] == 4.8
    assert [m["month"] for m in performance["months"]] == ["2026-05-01", "2026-06-01"]
    assert performance["market_benchmark"]["quarter"] == "2026-04-01"
    assert performance["pipeline_value"]["open_enquiries"] == 8

    unknown = await api.get(
        "/api/suppliers/sup_999999/performance", headers=bearer(keys["platform"])
    )
    assert unknown.status_code == 404
    malformed = await api.get(
        "/api/suppliers/photographer/performance", headers=bearer(keys["platform"])
    )
    assert malformed.status_code == 422


async def test_wedding_day_alerts_list_the_callers_upcoming_weddings(
    api: httpx.AsyncClient, insight_marts: str, keys: dict[str, str]
) -> None:
    mine = await api.get("/api/alerts/wedding-day", headers=bearer(keys[PHOTOGRAPHER]))
    assert mine.status_code == 200
    assert [(a["booking_id"], a["outstanding_gbp"]) for a in mine.json()["alerts"]] == [
        ("bkg_0000001", 1500.0)
    ]
    everyone = await api.get("/api/alerts/wedding-day", headers=bearer(keys["platform"]))
    assert {a["supplier_id"] for a in everyone.json()["alerts"]} == {PHOTOGRAPHER, VENUE}


async def test_alerts_before_the_mart_is_built_are_503_naming_it(
    api: httpx.AsyncClient, marts: str, keys: dict[str, str]
) -> None:
    answer = await api.get("/api/alerts/wedding-day", headers=bearer(keys[PHOTOGRAPHER]))
    assert answer.status_code == 503
    assert "marts.wedding_day_alerts" in answer.json()["detail"]


async def test_metrics_roll_daily_activity_up_to_weeks_and_filter_vendor_types(
    api: httpx.AsyncClient, marts: str, keys: dict[str, str]
) -> None:
    with connect(marts) as conn:
        conn.execute(
            "create table marts.supplier_daily_activity (supplier_id text, day date, "
            "profile_views bigint, enquiries bigint, bookings bigint, revenue_gbp numeric);"
            "insert into marts.supplier_daily_activity values "
            "('sup_000001', '2026-05-04', 10, 4, 1, 100), "
            "('sup_000001', '2026-05-06', 20, 6, 2, 50.5), "
            "('sup_000001', '2026-05-12', 5, 0, 0, 0)"
        )
        after_dbt_build(conn)
    weekly = await api.get(
        METRICS,
        params={"grain": "week", "start": "2026-05-01", "end": "2026-05-31"},
        headers=bearer(keys[PHOTOGRAPHER]),
    )
    assert weekly.status_code == 200
    rows = weekly.json()["supplier_daily_activity"]
    assert [(r["day"], r["profile_views"], r["enquiries"], r["bookings"]) for r in rows] == [
        ("2026-05-04", 30, 10, 3),
        ("2026-05-11", 5, 0, 0),
    ]
    assert (rows[0]["conversion_rate"], rows[0]["conversion_ci_low"]) == (0.3, 0.1078)
    assert rows[1]["conversion_rate"] is None
    assert weekly.json()["grain"] == "week"

    florists = await api.get(
        METRICS, params={"vendor_type": "florist"}, headers=bearer(keys["platform"])
    )
    assert [r["region"] for r in florists.json()["seasonal_bookings"]] == ["scotland"]
    assert florists.json()["vendor_performance"] == []

    for params, field in (({"grain": "fortnight"}, "grain"), ({"start": "2026-13-01"}, "start")):
        bad = await api.get(METRICS, params=params, headers=bearer(keys[PHOTOGRAPHER]))
        assert bad.status_code == 422
        assert bad.json()["detail"][0]["loc"] == ["query", field]
