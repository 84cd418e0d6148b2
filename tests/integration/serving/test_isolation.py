"""Tenant isolation: every endpoint with another supplier's key, and RLS in Postgres itself."""

from __future__ import annotations

import httpx
import jinja2
import psycopg
import pytest

from serving.core.config import API_ROLE, api_database_url
from serving.security.tenancy import tenant_scope
from tests.integration.serving.conftest import PHOTOGRAPHER, VENUE, bearer
from wedsync.api_keys import Principal
from wedsync.settings import REPO_ROOT
from wedsync.warehouse import connect

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

MACRO = REPO_ROOT / "dbt_project" / "macros" / "row_level_security.sql"
#: Every read endpoint, asked by the photographer about the venue.
ANOTHER_SUPPLIERS = (
    ("get", "/api/analytics/metrics", {"supplier_id": VENUE}),
    ("get", "/api/analytics/wedding-insights", {"supplier_id": VENUE}),
    ("get", "/api/analytics/market-gaps", {"supplier_id": VENUE}),
    ("get", "/api/analytics/capacity", {"supplier_id": VENUE}),
    ("get", "/api/analytics/couple-journey", {"supplier_id": VENUE}),
    ("get", f"/api/suppliers/{VENUE}/performance", {}),
    ("get", f"/api/suppliers/{VENUE}/network", {}),
    ("get", "/api/alerts/wedding-day", {"supplier_id": VENUE}),
    ("get", "/api/usage", {"supplier_id": VENUE}),
    ("get", "/api/predictions/couple-budget", {"supplier_id": VENUE}),
    ("get", "/api/predictions/review-score", {"supplier_id": VENUE}),
)


@pytest.mark.parametrize(("method", "path", "params"), ANOTHER_SUPPLIERS)
async def test_another_suppliers_objects_are_not_found(
    api: httpx.AsyncClient,
    insight_marts: str,
    keys: dict[str, str],
    method: str,
    path: str,
    params: dict[str, str],
) -> None:
    answer = await api.request(method, path, params=params, headers=bearer(keys[PHOTOGRAPHER]))
    assert answer.status_code == 404
    assert VENUE in answer.json()["detail"]
    assert b"wales" not in answer.content


async def test_own_answers_hold_only_own_rows_and_platform_keys_see_all(
    api: httpx.AsyncClient, insight_marts: str, keys: dict[str, str]
) -> None:
    for path in ("/api/analytics/metrics", "/api/alerts/wedding-day"):
        own = await api.get(path, headers=bearer(keys[PHOTOGRAPHER]))
        assert own.status_code == 200
        assert VENUE.encode() not in own.content
        platform = await api.get(path, headers=bearer(keys["platform"]))
        assert VENUE.encode() in platform.content
    insights = await api.get("/api/analytics/wedding-insights", headers=bearer(keys[PHOTOGRAPHER]))
    assert b"wales" not in insights.content
    predictions = await api.post(
        "/api/predictions/booking-probability",
        json={"supplier_id": VENUE, "wedding_date": "2027-06-12", "channel": "search"},
        headers=bearer(keys[PHOTOGRAPHER]),
    )
    assert predictions.status_code == 404
    for path in ("/api/quality", "/api/couples/cpl_000011"):
        method = "delete" if "couples" in path else "get"
        refused = await api.request(method, path, headers=bearer(keys[PHOTOGRAPHER]))
        assert refused.status_code == 403


def test_the_api_role_owns_nothing_and_cannot_bypass_row_level_security(
    insight_marts: str,
) -> None:
    with connect(insight_marts) as conn:
        role = conn.execute(
            "select rolsuper, rolbypassrls, rolcreaterole, rolcreatedb from pg_roles "
            "where rolname = %s",
            (API_ROLE,),
        ).fetchone()
        owned = conn.execute(
            "select count(*) from pg_class c join pg_roles r on r.oid = c.relowner "
            "where r.rolname = %s",
            (API_ROLE,),
        ).fetchone()
        unprotected = conn.execute(
            "select c.oid::regclass::text from pg_class c "
            "join pg_namespace n on n.oid = c.relnamespace "
            "join pg_attribute a on a.attrelid = c.oid and a.attname = 'supplier_id' "
            "where n.nspname in ('raw', 'marts', 'predictions') and c.relkind in ('r', 'p') "
            "and not c.relispartition and not c.relrowsecurity"
        ).fetchall()
    assert role == (False, False, False, False)
    assert owned == (0,)
    assert unprotected == []


async def test_postgres_itself_filters_a_query_that_forgets_the_supplier(
    insight_marts: str,
) -> None:
    """Defence in depth: even SQL without a supplier filter sees only the scoped rows."""
    photographer = Principal("k", PHOTOGRAPHER, "professional", "supplier_admin")
    query = "select distinct supplier_id from marts.vendor_performance order by 1"
    async with await psycopg.AsyncConnection.connect(
        api_database_url(insight_marts), autocommit=True
    ) as conn:
        assert await (await conn.execute(query)).fetchall() == []  # no scope: nothing
        async with tenant_scope(conn, photographer):
            assert await (await conn.execute(query)).fetchall() == [(PHOTOGRAPHER,)]
        # The scope ended with its transaction: the pooled connection carries nothing over.
        assert await (await conn.execute(query)).fetchall() == []
        async with tenant_scope(conn, None):
            assert len(await (await conn.execute(query)).fetchall()) == 2
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            await conn.execute("update marts.vendor_performance set enquiries = 0")


def test_the_dbt_macro_reapplies_policies_to_a_rebuilt_mart(insight_marts: str) -> None:
    # The post-hook as dbt renders it on the prod target.
    macro = jinja2.Environment().from_string(MACRO.read_text())
    post_hook = macro.make_module({"target": {"name": "prod"}}).apply_row_level_security()
    with connect(insight_marts) as conn:
        # What dbt does to a table model: build a new table in place of the old.
        conn.execute(
            "drop table marts.vendor_performance;"
            "create table marts.vendor_performance as "
            "select 'sup_000001'::text as supplier_id, 1 as enquiries "
            "union all select 'sup_000002', 2"
        )
        conn.commit()
        conn.execute(str(post_hook))
        conn.commit()
    photographer = Principal("k", PHOTOGRAPHER, "professional", "supplier_admin")
    with psycopg.connect(api_database_url(insight_marts)) as api_conn:
        api_conn.execute(
            "select set_config('wedsync.supplier_id', %s, true)", (photographer.supplier_id,)
        )
        rows = api_conn.execute("select supplier_id from marts.vendor_performance").fetchall()
    assert rows == [(PHOTOGRAPHER,)]
