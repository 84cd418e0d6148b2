"""The quality domain loads with the rest of the platform and renders GX Data Docs."""

import asyncio
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg
import httpx
import pytest

from expectations.catalogue import RULES
from orchestration.data_docs_site import DEFAULT_DATA_DOCS_URL, data_docs_site
from orchestration.defs.events.assets import raw_events
from orchestration.defs.ingestion import definitions as ingestion_domain
from orchestration.defs.quality import definitions as quality_domain
from orchestration.defs.quality.assets import data_docs
from orchestration.defs.quality.resources import GreatExpectationsResource
from orchestration.resources import WarehouseResource

pytestmark = pytest.mark.integration

DOCS_URL = DEFAULT_DATA_DOCS_URL


def test_definitions_load_with_one_check_per_rule() -> None:
    merged = dg.Definitions.merge(
        ingestion_domain.defs(), dg.Definitions(assets=[raw_events]), quality_domain.defs()
    )
    dg.Definitions.validate_loadable(merged)
    graph = merged.get_repository_def().asset_graph
    assert {key.name for key in graph.asset_check_keys} == {rule.rule_id for rule in RULES}
    assert dg.AssetKey(["quality", "data_docs"]) in graph.get_all_asset_keys()
    assert dg.AssetKey(["quality", "quarantine"]) in graph.get_all_asset_keys()


def test_data_docs_asset_renders_every_rule_and_links_the_served_site(
    warehouse_url: str, tmp_path: Path
) -> None:
    docs = tmp_path / "data_docs"
    resource = GreatExpectationsResource(
        warehouse=WarehouseResource(database_url=warehouse_url),
        data_docs_dir=str(docs),
        data_docs_base_url=DOCS_URL,
    )
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [data_docs], instance=instance, resources={"great_expectations": resource}
        )
    assert result.success
    [materialization] = result.asset_materializations_for_node("quality__data_docs")
    assert materialization.metadata["rules"].value == len(RULES)
    link = urlsplit(materialization.metadata["data_docs"].value)
    assert (link.scheme, link.netloc) == ("http", "127.0.0.1:8010")
    assert (docs / "validations" / "raw" / "enquiries").is_dir()
    # The link's page, as make demo's Data Docs site serves it.
    validations = sorted((docs / "validations" / "raw" / "enquiries").rglob("*.html"))
    page, served = asyncio.run(
        _fetch(docs, link.path, "/" + validations[0].relative_to(docs).as_posix())
    )
    assert page.status_code == 200
    assert "enquiry_guest_count_in_range" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert served.status_code == 200


async def _fetch(docs: Path, *paths: str) -> list[httpx.Response]:
    """GET each path from the Data Docs site over `docs`, in process."""
    transport = httpx.ASGITransport(app=data_docs_site(docs))
    async with httpx.AsyncClient(transport=transport, base_url=DOCS_URL) as site:
        return [await site.get(path) for path in paths]


def test_live_event_checks_job_runs_the_events_rules(warehouse_url: str, tmp_path: Path) -> None:
    resource = GreatExpectationsResource(
        warehouse=WarehouseResource(database_url=warehouse_url),
        data_docs_dir=str(tmp_path),
        data_docs_base_url=DOCS_URL,
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
    evaluations = result.get_asset_check_evaluations()
    assert {e.check_name: e.passed for e in evaluations} == {
        "event_id_not_duplicated": True,
        "supplier_daily_event_volume": True,
    }
    assert {e.metadata["data_docs"].value for e in evaluations} == {f"{DOCS_URL}index.html"}
