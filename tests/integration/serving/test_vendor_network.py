"""The supplier network route (issue 14): tenancy, tiers, cache and ETag, 503 before the build.

`marts.vendor_network` as dbt publishes it (with its row-level security re-applied): the
photographer's two partners (one a predicted referral partner) and the florist's one; the
venue exists (`marts.dim_suppliers`) but no couple booked it with anyone. Another supplier's
id is refused in test_isolation.py with every route."""

from __future__ import annotations

import httpx
import psycopg
import pytest

from serving.core.config import api_database_url
from serving.security.tenancy import tenant_scope
from tests.integration.serving.conftest import (
    FLORIST,
    PHOTOGRAPHER,
    VENUE,
    after_dbt_build,
    bearer,
)
from wedsync.api_keys import Principal
from wedsync.warehouse import connect

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

NETWORK_ROWS = """
insert into marts.vendor_network values
    ('sup_000001', 'photographer', 'london', 'sup_000010', 'Oak Hall Weddings', 'venue',
     'london', 40, 3, 1, 0.025, 0.0044, 0.1288, 0.02, 1.25, 0.22, 6.44, false),
    ('sup_000001', 'photographer', 'london', 'sup_000011', 'Ivy Lane Films', 'videographer',
     'london', 40, 9, 8, 0.2, 0.105, 0.3466, 0.012, 16.67, 8.75, 28.88, true),
    ('sup_000003', 'florist', 'scotland', 'sup_000012', 'Swan Court Cakes', 'cake',
     'scotland', 25, 6, 6, 0.24, 0.115, 0.4338, 0.03, 8, 3.83, 14.46, true);
"""


@pytest.fixture
def network_mart(insight_marts: str) -> str:
    """The insight marts plus the vendor network's rows (its table is issue 14's)."""
    with connect(insight_marts) as conn:
        conn.execute(NETWORK_ROWS)
        after_dbt_build(conn)
    return insight_marts


def network(supplier_id: str) -> str:
    return f"/api/suppliers/{supplier_id}/network"


async def test_a_supplier_sees_its_own_partners_referral_partners_first(
    api: httpx.AsyncClient, network_mart: str, keys: dict[str, str]
) -> None:
    answer = await api.get(network(PHOTOGRAPHER), headers=bearer(keys[PHOTOGRAPHER]))
    assert answer.status_code == 200
    body = answer.json()
    assert body["supplier_id"] == PHOTOGRAPHER
    assert body["referral_partners"] == 1
    assert [(r["partner_id"], r["is_predicted_referral"]) for r in body["partners"]] == [
        ("sup_000011", True),
        ("sup_000010", False),
    ]
    assert body["partners"][0]["lift_low"] == 8.75
    assert b"scotland" not in answer.content
    assert answer.headers["x-cache"] == "miss"
    again = await api.get(
        network(PHOTOGRAPHER),
        headers={**bearer(keys[PHOTOGRAPHER]), "If-None-Match": answer.headers["etag"]},
    )
    assert again.status_code == 304
    assert again.headers["x-cache"] == "hit"


async def test_postgres_itself_keeps_a_supplier_to_its_own_network(network_mart: str) -> None:
    """The policy, not only the route's filter: scoped to the photographer, the API role
    reads none of the florist's rows even when it asks for them by id."""
    photographer = Principal("k", PHOTOGRAPHER, "professional", "supplier_admin")
    async with (
        await psycopg.AsyncConnection.connect(
            api_database_url(network_mart), autocommit=True
        ) as conn,
        tenant_scope(conn, photographer),
    ):
        asked = await conn.execute(
            "select supplier_id from marts.vendor_network where supplier_id = %s", (FLORIST,)
        )
        assert await asked.fetchall() == []
        seen = await conn.execute("select distinct supplier_id from marts.vendor_network")
        assert await seen.fetchall() == [(PHOTOGRAPHER,)]


async def test_the_platform_sees_any_supplier_and_an_unknown_id_is_not_found(
    api: httpx.AsyncClient, network_mart: str, keys: dict[str, str]
) -> None:
    florist = await api.get(network(FLORIST), headers=bearer(keys["platform"]))
    assert [r["partner_id"] for r in florist.json()["partners"]] == ["sup_000012"]
    venue = await api.get(network(VENUE), headers=bearer(keys["platform"]))
    assert venue.status_code == 200
    assert venue.json()["partners"] == []
    unknown = await api.get(network("sup_999999"), headers=bearer(keys["platform"]))
    assert unknown.status_code == 404
    assert "sup_999999" in unknown.json()["detail"]
    malformed = await api.get(network("venue-1"), headers=bearer(keys["platform"]))
    assert malformed.status_code == 422


async def test_enterprise_tier_reads_and_the_free_tier_is_refused(
    api: httpx.AsyncClient, network_mart: str, keys: dict[str, str]
) -> None:
    florist = await api.get(network(FLORIST), headers=bearer(keys[FLORIST]))
    assert florist.status_code == 200
    assert florist.json()["referral_partners"] == 1
    refused = await api.get(network(VENUE), headers=bearer(keys[VENUE]))  # free tier
    assert refused.status_code == 403
    assert "professional" in refused.json()["detail"]


async def test_before_the_build_the_answer_is_503_naming_the_mart(
    api: httpx.AsyncClient, marts: str, keys: dict[str, str]
) -> None:
    answer = await api.get(network(PHOTOGRAPHER), headers=bearer(keys[PHOTOGRAPHER]))
    assert answer.status_code == 503
    assert "marts.vendor_network" in answer.json()["detail"]


async def test_a_rebuilt_mart_moves_the_answer_only_with_the_data_version(
    api: httpx.AsyncClient, network_mart: str, keys: dict[str, str]
) -> None:
    first = await api.get(network(PHOTOGRAPHER), headers=bearer(keys[PHOTOGRAPHER]))
    with psycopg.connect(network_mart) as conn:
        conn.execute("update marts.vendor_network set followed_couples = 9 where lift > 10")
    cached = await api.get(network(PHOTOGRAPHER), headers=bearer(keys[PHOTOGRAPHER]))
    assert cached.headers["etag"] == first.headers["etag"]  # same data version: the cache
    assert cached.json()["partners"][0]["followed_couples"] == 8
