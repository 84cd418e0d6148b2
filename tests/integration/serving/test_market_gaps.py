"""Market gaps and capacity (issue 14): tenancy, tiers, cache and ETag, 503 before the build."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.serving.conftest import PHOTOGRAPHER, VENUE, after_dbt_build, bearer
from wedsync.warehouse import connect

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

GAPS = "/api/analytics/market-gaps"
CAPACITY = "/api/analytics/capacity"

# What dbt publishes: London photographers (two months) and Welsh venues; the photographer's
# and the venue's capacity rows (row-level security keeps each to its supplier).
MARKET_MARTS_DDL = """
create table marts.market_gaps (
    wedding_month date, vendor_type text, region text, is_peak_season boolean,
    bank_holiday_weekends integer, suppliers bigint, saturday_places bigint,
    saturday_bookings bigint, free_saturday_places bigint, saturday_fill_rate numeric(6, 4),
    full_supplier_dates bigint, enquiries bigint, couples bigint, bookings bigint,
    no_room_enquiries numeric(12, 2), no_room_share numeric(6, 4), unmet_couples numeric(12, 2),
    unmet_share numeric(6, 4), unmet_rank integer, holiday_weekend_enquiries bigint,
    holiday_weekend_no_room_share numeric(6, 4));
insert into marts.market_gaps values
    ('2027-05-01', 'photographer', 'london', true, 2, 6, 30, 12, 18, 0.4, 3, 80, 60, 20,
     4.5, 0.0563, 2.1, 0.035, 2, 9, 0.2),
    ('2027-08-01', 'photographer', 'london', true, 1, 6, 24, 20, 4, 0.8333, 9, 120, 90, 22,
     14.25, 0.1188, 8.4, 0.0933, 1, 5, 0.3),
    ('2027-06-01', 'venue', 'wales', true, 0, 5, 20, 15, 5, 0.75, 15, 70, 50, 15,
     10, 0.1429, 6, 0.12, 1, 0, null);
create table marts.supplier_capacity (
    supplier_id text, vendor_type text, region text, weddings_per_date integer,
    as_of_date date, last_season_start date, next_season_start date,
    last_season_saturdays bigint, last_season_saturday_bookings bigint,
    last_season_fill_rate numeric(6, 4), next_season_saturdays bigint,
    next_season_saturday_bookings bigint, next_season_fill_rate numeric(6, 4),
    next_season_open_saturdays bigint, busiest_saturdays date[],
    open_busiest_saturdays date[], open_bank_holiday_saturdays date[]);
insert into marts.supplier_capacity values
    ('sup_000001', 'photographer', 'london', 2, '2026-11-30', '2026-04-01', '2027-04-01',
     26, 31, 0.5962, 26, 9, 0.1731, 19, '{2027-08-07,2027-06-12}', '{2027-06-12}',
     '{2027-05-29}'),
    ('sup_000002', 'venue', 'wales', 1, '2026-11-30', '2026-04-01', '2027-04-01',
     26, 20, 0.7692, 26, 11, 0.4231, 15, '{2027-07-03}', '{}', '{}');
"""


@pytest.fixture
def market_marts(marts: str) -> str:
    """The serving marts plus market_gaps and supplier_capacity, policies applied."""
    with connect(marts) as conn:
        conn.execute(MARKET_MARTS_DDL)
        after_dbt_build(conn)
    return marts


async def test_a_supplier_sees_its_own_markets_gaps_busiest_month_first(
    api: httpx.AsyncClient, market_marts: str, keys: dict[str, str]
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
    api: httpx.AsyncClient, market_marts: str, keys: dict[str, str]
) -> None:
    everything = (await api.get(GAPS, headers=bearer(keys["platform"]))).json()
    assert len(everything["market_gaps"]) == 3
    # The Welsh venues' single month is their market's top gap, and the largest one.
    assert everything["top_gaps"][0]["wedding_month"] == "2027-08-01"
    wales = await api.get(GAPS, params={"region": "wales"}, headers=bearer(keys["platform"]))
    assert [r["vendor_type"] for r in wales.json()["market_gaps"]] == ["venue"]


async def test_a_supplier_sees_only_its_own_capacity(
    api: httpx.AsyncClient, market_marts: str, keys: dict[str, str]
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
async def test_another_suppliers_id_is_not_found(
    api: httpx.AsyncClient, market_marts: str, keys: dict[str, str], path: str
) -> None:
    answer = await api.get(path, params={"supplier_id": VENUE}, headers=bearer(keys[PHOTOGRAPHER]))
    assert answer.status_code == 404
    assert b"wales" not in answer.content


@pytest.mark.parametrize("path", [GAPS, CAPACITY])
async def test_the_free_tier_is_refused(
    api: httpx.AsyncClient, market_marts: str, keys: dict[str, str], path: str
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
