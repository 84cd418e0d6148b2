"""Every dbt model and seed as a Dagster asset, every dbt test as an asset check.

One `@dbt_assets` over the whole manifest: Dagster selects the subset a run needs (the events
sensor's job runs only the incremental event marts) and dagster-dbt passes the selection to
`dbt build`. Row counts and a preview of the tables built are attached to each materialization (see
`table_metadata.py` for why not dagster-dbt's `fetch_row_counts`).
"""

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import dagster as dg
from dagster_dbt import DagsterDbtTranslatorSettings, dbt_assets

from orchestration.defs.dbt.build_args import FullRefreshRefused, dbt_build_args
from orchestration.defs.dbt.config import DbtBuildConfig
from orchestration.defs.dbt.project import prepare_manifest, wedsync_dbt_project
from orchestration.defs.dbt.resources import WarehouseDbtCliResource, dbt_resource
from orchestration.defs.dbt.table_metadata import table_relations, with_table_metadata
from orchestration.defs.dbt.translator import WedsyncDbtTranslator

#: Whether it is Saturday is decided in UK time: that is where the weddings are.
WEDDING_TIMEZONE = ZoneInfo("Europe/London")

MANIFEST_PATH = prepare_manifest(wedsync_dbt_project, dbt_resource())
TABLE_RELATIONS = table_relations(json.loads(MANIFEST_PATH.read_text()))


@dbt_assets(
    manifest=MANIFEST_PATH,
    project=wedsync_dbt_project,
    # Each model links to its SQL file in the Dagster UI.
    dagster_dbt_translator=WedsyncDbtTranslator(
        settings=DagsterDbtTranslatorSettings(enable_code_references=True)
    ),
    name="wedsync_dbt_models",
    # One dbt build at a time per deployment (deploy/dagster.yaml limits every pool to 1).
    pool="dbt",
)
def wedsync_dbt_models(
    context: dg.AssetExecutionContext, dbt: WarehouseDbtCliResource, config: DbtBuildConfig
) -> Iterator[Any]:
    """`dbt build` of the selected models: staging, marts, features, seeds and their tests."""
    try:
        args = dbt_build_args(
            today=dt.datetime.now(WEDDING_TIMEZONE).date(),
            full_refresh=config.full_refresh,
            force_on_wedding_day=config.force_on_wedding_day,
            as_of=config.as_of_date(),
        )
    except (FullRefreshRefused, ValueError) as refusal:
        raise dg.Failure(description=str(refusal)) from refusal
    events = dbt.cli(args, context=context).stream()
    yield from with_table_metadata(events, TABLE_RELATIONS, dbt.database_url)
