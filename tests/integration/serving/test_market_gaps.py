"""Market gaps and capacity (issue 14): tenancy, tiers, cache and ETag, 503 before the build.

The marts' rows are tests/issue14_marts.py's and the venue's in conftest.py (part of
`insight_marts`); another supplier's id is refused in test_isolation.py with every route."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.serving.conftest import PHOTOGRAPHER, VENUE, bearer

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

GAPS = "/api/analytics/market-gaps"
CAPACITY = "/api/analytics/capacity"


async def test_a_supplier_sees_its_own_markets_gaps_busiest_month_first(
    api: httpx.AsyncClient, insight_marts: str, keys: dict[str, str]
) -> None:
    answer = await api.get(GAPS, headers=bearer(keys[PHOTOGRAPHER]))
    assert answer.status_code == 200
    gaps = answer.json()
    assert {(r["vendor_type"], r["region"]) for r in gaps["market_gaps"]} == {
        ("photographer", "london")
    }
    assert [r["wedding_month"] for r in gaps["market_gaps"]] == ["2027-05-01", "2027-08-01"]
    assert [(r["wedding_month"], r["unmet_couples"]) for r in gaps["top_gaps"]] == [
        ("2027-08-01", 8.4),
        ("2027-05-01", 2.1),
    ]
    assert b"wales" not in answer.content
    assert answer.headers["x-cache"] == "miss"
    again = await api.get(
        GAPS, headers={**bearer(keys[PHOTOGRAPHER]), "If-None-Match": answer.headers["etag"]}
    )
    assert again.status_code == 304


async def test_the_platform_sees_every_market_and_filters_them(
    api: httpx.AsyncClient, insight_marts: str, keys: dict[str, str]
) -> None:
    everything = (await api.get(GAPS, headers=bearer(keys["platform"]))).json()
    assert len(everything["market_gaps"]) == 3
    # The Welsh venues' single month is their market's top gap, and the largest one.
    assert everything["top_gaps"][0]["wedding_month"] == "2027-08-01"
    wales = await api.get(GAPS, params={"region": "wales"}, headers=bearer(keys["platform"]))
    assert [r["vendor_type"] for r in wales.json()["market_gaps"]] == ["venue"]


async def test_a_supplier_sees_only_its_own_capacity(
    api: httpx.AsyncClient, insight_marts: str, keys: dict[str, str]
) -> None:
    own = await api.get(CAPACITY, headers=bearer(keys[PHOTOGRAPHER]))
    assert own.status_code == 200
    (row,) = own.json()["suppliers"]
    assert row["supplier_id"] == PHOTOGRAPHER
    assert row["open_busiest_saturdays"] == ["2027-06-12"]
    assert row["last_season_fill_rate"] == 0.5962
    assert VENUE.encode() not in own.content
    assert (await api.get(CAPACITY, headers=bearer(keys[PHOTOGRAPHER]))).headers["x-cache"] == "hit"
    everyone = await api.get(CAPACITY, headers=bearer(keys["platform"]))
    assert [r["supplier_id"] for r in everyone.json()["suppliers"]] == [PHOTOGRAPHER, VENUE]
    one = await api.get(CAPACITY, params={"supplier_id": VENUE}, headers=bearer(keys["platform"]))
    assert [r["supplier_id"] for r in one.json()["suppliers"]] == [VENUE]


@pytest.mark.parametrize("path", [GAPS, CAPACITY])
async def test_the_free_tier_is_refused(
    api: httpx.AsyncClient, insight_marts: str, keys: dict[str, str], path: str
) -> None:
    answer = await api.get(path, headers=bearer(keys[VENUE]))  # the venue's key is free tier
    assert answer.status_code == 403
    assert "professional" in answer.json()["detail"]


@pytest.mark.parametrize(("path", "mart"), [(GAPS, "market_gaps"), (CAPACITY, "supplier_capacity")])
async def test_before_the_build_the_answer_is_503_naming_the_mart(
    api: httpx.AsyncClient, marts: str, keys: dict[str, str], path: str, mart: str
) -> None:
    answer = await api.get(path, headers=bearer(keys[PHOTOGRAPHER]))
    assert answer.status_code == 503
    assert f"marts.{mart}" in answer.json()["detail"]
