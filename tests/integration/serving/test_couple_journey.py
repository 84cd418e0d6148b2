"""The couple's journey (issue 14): tenancy, tiers, cache and ETag, 503 before the build.

The mart's rows are tests/issue14_marts.py's and the venue's in conftest.py (part of
`insight_marts`); another supplier's id is refused in test_isolation.py with every route."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.serving.conftest import PHOTOGRAPHER, VENUE, bearer

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

JOURNEY = "/api/analytics/couple-journey"


async def test_a_supplier_sees_its_own_market_by_dimension_bands_in_order(
    api: httpx.AsyncClient, insight_marts: str, keys: dict[str, str]
) -> None:
    answer = await api.get(JOURNEY, headers=bearer(keys[PHOTOGRAPHER]))
    assert answer.status_code == 200
    journey = answer.json()
    assert [r["band"] for r in journey["budget_versus_quality"]] == ["0-9999", "20000-39999"]
    assert journey["budget_versus_quality"][1]["upper_price_band_ci_low"] == 0.2459
    # Its market, and its vendor type across every region.
    overall, national = journey["time_to_booking"]
    assert (overall["vendor_type"], overall["region"]) == ("photographer", "london")
    assert overall["mean_days_to_booking"] == 33.0
    assert (national["vendor_type"], national["region"]) == ("photographer", "all")
    assert national["suppliers"] == 40
    # The London caterers share the region, not the market; Welsh venues neither; nor is
    # another vendor type's national row shown.
    assert journey["guest_count_choice"] == []
    assert b"caterer" not in answer.content and b"wales" not in answer.content
    assert answer.headers["x-cache"] == "miss"
    again = await api.get(
        JOURNEY, headers={**bearer(keys[PHOTOGRAPHER]), "If-None-Match": answer.headers["etag"]}
    )
    assert again.status_code == 304


async def test_the_platform_sees_every_market_and_filters_them(
    api: httpx.AsyncClient, insight_marts: str, keys: dict[str, str]
) -> None:
    everything = (await api.get(JOURNEY, headers=bearer(keys["platform"]))).json()
    assert [(r["vendor_type"], r["band"]) for r in everything["guest_count_choice"]] == [
        ("caterer", "100-149"),
        ("venue", "50-99"),
    ]
    assert len(everything["budget_versus_quality"]) == 3
    assert [(r["vendor_type"], r["region"]) for r in everything["time_to_booking"]] == [
        ("caterer", "all"),
        ("photographer", "all"),
        ("photographer", "london"),
    ]
    venues = await api.get(
        JOURNEY, params={"vendor_type": "venue"}, headers=bearer(keys["platform"])
    )
    assert {r["region"] for r in venues.json()["budget_versus_quality"]} == {"wales"}
    assert venues.json()["time_to_booking"] == []


async def test_the_free_tier_is_refused(
    api: httpx.AsyncClient, insight_marts: str, keys: dict[str, str]
) -> None:
    answer = await api.get(JOURNEY, headers=bearer(keys[VENUE]))  # the venue's key is free tier
    assert answer.status_code == 403
    assert "professional" in answer.json()["detail"]


async def test_before_the_build_the_answer_is_503_naming_the_mart(
    api: httpx.AsyncClient, marts: str, keys: dict[str, str]
) -> None:
    answer = await api.get(JOURNEY, headers=bearer(keys[PHOTOGRAPHER]))
    assert answer.status_code == 503
    assert "marts.couple_journey" in answer.json()["detail"]
