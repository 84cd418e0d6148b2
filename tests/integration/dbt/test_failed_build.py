"""A dbt model failing mid-build: the served marts keep their previous build, whole, and the
API's cache version does not move (dashboards keep being answered from the last good build).

The failure is a real one: the raw reviews table loses a column the staging model reads (as a
broken export load or a bad migration would leave it), so `stg_reviews` and everything built
on it fail or are skipped while the rest of the build runs.
"""

from __future__ import annotations

import dagster as dg
import psycopg
import pytest

from orchestration.defs.dbt.assets import wedsync_dbt_models
from orchestration.defs.dbt.resources import dbt_resource
from orchestration.defs.serving.assets import api_cache_version
from orchestration.resources import WarehouseResource
from tests.integration.dbt.conftest import AS_OF, LoadedWarehouse
from wedsync.warehouse.dataset_versions import ANALYTICS_DATASET

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CACHE_VERSION = dg.AssetKey(["serving", "api_cache_version"])


def _build(database_url: str) -> dg.ExecuteInProcessResult:
    """The marts and the cache version in one run, as the nightly analytics job runs them."""
    return dg.materialize(
        [wedsync_dbt_models, api_cache_version],
        resources={
            "dbt": dbt_resource(database_url),
            "warehouse": WarehouseResource(database_url=database_url),
        },
        run_config={"ops": {"wedsync_dbt_models": {"config": {"as_of": AS_OF.isoformat()}}}},
        raise_on_error=False,
    )


def _materialized(result: dg.ExecuteInProcessResult) -> set[dg.AssetKey]:
    return {
        event.asset_key
        for event in result.get_asset_materialization_events()
        if event.asset_key is not None
    }


def _served(database_url: str) -> tuple[list[tuple[object, ...]], int]:
    """vendor_performance's rows and the analytics cache version."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("select * from marts.vendor_performance order by 1, 2, 3").fetchall()
        version = conn.execute(
            "select coalesce(max(version), 0) from app.dataset_versions where dataset = %s",
            (ANALYTICS_DATASET,),
        ).fetchone()
    assert version is not None
    return rows, int(version[0])


def test_a_failing_model_leaves_the_previous_marts_and_cache_version(
    loaded_warehouse: LoadedWarehouse,
) -> None:
    url = loaded_warehouse.database_url
    first = _build(url)
    assert CACHE_VERSION in {
        m.asset_key for m in first.get_asset_materialization_events() if m.asset_key
    }  # type: ignore[union-attr]
    rows_before, version_before = _served(url)
    assert rows_before and version_before > 0

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("alter table raw.reviews rename column rating to rating_lost")
        # New input the failed build must not half-apply: five more enquiries.
        conn.execute(
            "create temporary table more_enquiries as select * from raw.enquiries limit 5;"
            "update more_enquiries set enquiry_id = enquiry_id || '_new';"
            "insert into raw.enquiries select * from more_enquiries"
        )
    try:
        failed = _build(url)
    finally:  # the warehouse is shared by the package's other tests
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("alter table raw.reviews rename column rating_lost to rating")
            conn.execute("delete from raw.enquiries where enquiry_id like '%\\_new'")
    assert not failed.success
    rebuilt = _materialized(failed)
    assert CACHE_VERSION not in rebuilt
    assert dg.AssetKey(["marts", "vendor_performance"]) not in rebuilt
    # The mart the dashboards read is the previous build, whole (the new enquiries never
    # reached it), and the cache still keys answers by the previous version.
    assert _served(url) == (rows_before, version_before)
