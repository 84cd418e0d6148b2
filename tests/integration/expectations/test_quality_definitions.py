"""The quality domain loads with the rest of the platform and renders GX Data Docs."""

from pathlib import Path

import dagster as dg
import pytest

from expectations.catalogue import RULES
from orchestration.defs.events.assets import raw_events
from orchestration.defs.ingestion import definitions as ingestion_domain
from orchestration.defs.quality import definitions as quality_domain
from orchestration.defs.quality.assets import data_docs
from orchestration.defs.quality.resources import GreatExpectationsResource
from orchestration.resources import WarehouseResource

pytestmark = pytest.mark.integration


def test_definitions_load_with_one_check_per_rule() -> None:
    merged = dg.Definitions.merge(
        ingestion_domain.defs(), dg.Definitions(assets=[raw_events]), quality_domain.defs()
    )
    dg.Definitions.validate_loadable(merged)
    graph = merged.get_repository_def().asset_graph
    assert {key.name for key in graph.asset_check_keys} == {rule.rule_id for rule in RULES}
    assert dg.AssetKey(["quality", "data_docs"]) in graph.get_all_asset_keys()
    assert dg.AssetKey(["quality", "quarantine"]) in graph.get_all_asset_keys()


def test_data_docs_asset_renders_every_rule(warehouse_url: str, tmp_path: Path) -> None:
    docs = tmp_path / "data_docs"
    resource = GreatExpectationsResource(
        warehouse=WarehouseResource(database_url=warehouse_url), data_docs_dir=str(docs)
    )
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [data_docs], instance=instance, resources={"great_expectations": resource}
        )
    assert result.success
    [materialization] = result.asset_materializations_for_node("quality__data_docs")
    assert materialization.metadata["rules"].value == len(RULES)
    assert materialization.metadata["data_docs"].value == (docs / "index.html").as_uri()
    index = (docs / "index.html").read_text()
    assert "enquiry_guest_count_in_range" in index
    assert (docs / "validations" / "raw" / "enquiries").is_dir()


def test_live_event_checks_job_runs_the_events_rules(warehouse_url: str, tmp_path: Path) -> None:
    resource = GreatExpectationsResource(
        warehouse=WarehouseResource(database_url=warehouse_url), data_docs_dir=str(tmp_path)
    )
    quality = quality_domain.defs()
    definitions = dg.Definitions(
        assets=[raw_events, *(quality.assets or [])],
        asset_checks=quality.asset_checks,
        jobs=quality.jobs,
        resources={"great_expectations": resource},
    )
    job = definitions.resolve_job_def("live_event_checks")
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance)
    assert result.success
    assert {e.check_name: e.passed for e in result.get_asset_check_evaluations()} == {
        "event_id_not_duplicated": True,
        "supplier_daily_event_volume": True,
    }
