"""The code location `test_dagster` runs on the Celery workers: the deployment's real export
assets and resources, and a job that pins no executor, so the location's own
(`orchestration.executor`, Celery under `WEDSYNC_DAGSTER_EXECUTOR=celery`) runs its steps.

It is the part of `orchestration.definitions` whose steps load quickly in a worker (six COPYs
of a few landed nights), where the whole location would spend a loaded CI machine's minutes
on importing dbt's manifest, ML and GX into both workers for a test of where steps run.
"""

import dagster as dg

from orchestration.defs.ingestion.assets import export_assets
from orchestration.defs.ingestion.resources import landing_zone_resource
from orchestration.executor import default_executor
from orchestration.resources import warehouse_resource

EXPORTS_JOB = "exports_on_workers"

defs = dg.Definitions(
    assets=export_assets,
    jobs=[
        dg.define_asset_job(
            name=EXPORTS_JOB,
            selection=dg.AssetSelection.assets(*export_assets),
            description="The nightly exports of a range of dates, one step per entity.",
        )
    ],
    resources={"warehouse": warehouse_resource(), "landing_zone": landing_zone_resource()},
    executor=default_executor(),
)
