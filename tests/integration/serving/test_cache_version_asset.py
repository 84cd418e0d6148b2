"""The `serving/api_cache_version` asset moves the version the API's cache keys carry."""

from __future__ import annotations

import dagster as dg
import pytest

from orchestration.defs.serving import definitions as serving_domain
from orchestration.defs.serving.assets import SERVED_MART_KEYS, api_cache_version
from orchestration.resources import WarehouseResource
from wedsync.warehouse import connect
from wedsync.warehouse.dataset_versions import ANALYTICS_DATASET, read_dataset_version

pytestmark = pytest.mark.integration

KEY = dg.AssetKey(["serving", "api_cache_version"])


def test_each_materialization_bumps_the_analytics_version(warehouse_url: str) -> None:
    resources = {"warehouse": WarehouseResource(database_url=warehouse_url)}
    for expected in (1, 2):
        result = dg.materialize([api_cache_version], resources=resources)
        assert result.success
        (event,) = result.get_asset_materialization_events()
        assert event.asset_key == KEY
        assert event.materialization.metadata["dataset_version"] == dg.IntMetadataValue(expected)
    with connect(warehouse_url) as conn:
        assert read_dataset_version(conn, ANALYTICS_DATASET) == 2


def test_the_domain_loads_with_the_asset_downstream_of_the_served_marts() -> None:
    definitions = serving_domain.defs()
    spec = definitions.resolve_asset_graph().get(KEY)
    assert spec.group_name == "serving"
    assert set(SERVED_MART_KEYS) <= set(spec.parent_keys)
    assert spec.automation_condition is not None


def test_the_version_moves_after_any_served_mart_is_rebuilt(warehouse_url: str) -> None:
    marts = [dg.AssetSpec(key) for key in SERVED_MART_KEYS]
    resources = {"warehouse": WarehouseResource(database_url=warehouse_url)}
    assets = dg.Definitions(assets=[*marts, api_cache_version], resources=resources)
    instance = dg.DagsterInstance.ephemeral()
    quiet = dg.evaluate_automation_conditions(defs=assets, instance=instance)
    assert quiet.get_num_requested(KEY) == 0  # nothing was rebuilt

    # Only the event-driven mart was rebuilt; the others have never been built at all.
    instance.report_runless_asset_event(
        dg.AssetMaterialization(dg.AssetKey(["marts", "supplier_daily_activity"]))
    )
    moved = dg.evaluate_automation_conditions(defs=assets, instance=instance, cursor=quiet.cursor)
    assert moved.get_num_requested(KEY) == 1

    dg.materialize([api_cache_version], instance=instance, resources=resources)
    after = dg.evaluate_automation_conditions(defs=assets, instance=instance, cursor=moved.cursor)
    assert after.get_num_requested(KEY) == 0  # handled: no second bump for the same rebuild
