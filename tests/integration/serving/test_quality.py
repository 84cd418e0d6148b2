"""`GET /api/quality`: each rule's latest status and trend, for platform keys only."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.serving.conftest import PHOTOGRAPHER, bearer
from wedsync.warehouse import connect

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


async def test_platform_keys_see_the_latest_status_and_trend_of_each_rule(
    api: httpx.AsyncClient, warehouse_url: str, keys: dict[str, str]
) -> None:
    with connect(warehouse_url) as conn:
        conn.execute(
            "insert into quality.check_results (rule_id, table_name, severity, success, "
            "element_count, unexpected_count, unexpected_pct, checked_at) values "
            "('valid_wedding_date', 'enquiries', 'error', false, 100, 3, 3.0, '2026-05-01'),"
            "('valid_wedding_date', 'enquiries', 'error', true, 100, 0, 0.0, '2026-05-02'),"
            "('guest_count_range', 'enquiries', 'error', true, 100, 0, 0.0, '2026-05-01'),"
            "('guest_count_range', 'enquiries', 'error', false, 120, 4, 3.3, '2026-05-02')"
        )
        conn.commit()
    response = await api.get("/api/quality", headers=bearer(keys["platform"]))
    assert response.status_code == 200
    rules = response.json()["rules"]
    assert [(r["rule_id"], r["success"], r["unexpected_count"], r["trend"]) for r in rules] == [
        ("guest_count_range", False, 4, [0, 4]),  # failing rules first
        ("valid_wedding_date", True, 0, [3, 0]),
    ]
    latest = await api.get("/api/quality", params={"runs": 1}, headers=bearer(keys["platform"]))
    assert [r["trend"] for r in latest.json()["rules"]] == [[4], [0]]


async def test_suppliers_and_strangers_are_refused(
    api: httpx.AsyncClient, keys: dict[str, str]
) -> None:
    supplier = await api.get("/api/quality", headers=bearer(keys[PHOTOGRAPHER]))
    assert supplier.status_code == 403
    assert "platform" in supplier.json()["detail"]
    assert (await api.get("/api/quality")).status_code == 401
    bad_runs = await api.get("/api/quality", params={"runs": 0}, headers=bearer(keys["platform"]))
    assert bad_runs.status_code == 422
