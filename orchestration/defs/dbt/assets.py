"""Every dbt model and seed as a Dagster asset, every dbt test as an asset check.

One `@dbt_assets` over the whole manifest: Dagster selects the subset a run needs (the events
sensor's job runs only the incremental event marts) and dagster-dbt passes the selection to
`dbt build`. dagster-dbt attaches to each table's materialization its row count and, to every
model's, the column types dbt built and the column lineage it reads from the compiled SQL
(views are not counted: that would run their query).

Those two fetch in thread pools whose every task `chdir`s into the project and back. Tasks of
one pool, and the two pools, interleave, so a task can "restore" the directory another task
had just entered: a build left its process in `dbt_project/`, and whatever ran next in that
process (the rest of `make build`, the next test) resolved its relative paths from there.
The stream therefore runs from the project directory, which makes each task's change a no-op,
and the process's own directory comes back once, when the stream ends.
"""

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import dagster as dg
from dagster_dbt import DagsterDbtTranslatorSettings, dbt_assets

from orchestration.defs.dbt.build_args import FullRefreshRefused, dbt_build_args
from orchestration.defs.dbt.config import DbtBuildConfig
from orchestration.defs.dbt.project import wedsync_dbt_project
from orchestration.defs.dbt.resources import WarehouseDbtCliResource
from orchestration.defs.dbt.translator import WedsyncDbtTranslator

#: Whether it is Saturday is decided in UK time: that is where the weddings are.
WEDDING_TIMEZONE = ZoneInfo("Europe/London")


@dbt_assets(
    manifest=wedsync_dbt_project.manifest_path,
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
    with contextlib.chdir(dbt.project_dir):
        invocation = dbt.cli(args, context=context)
        yield from invocation.stream().fetch_row_counts().fetch_column_metadata()
