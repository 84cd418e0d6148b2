"""Jobs that span domains: the whole build downstream of the exports, as `make build` runs it.

Nothing schedules it: in a deployment each asset's automation condition builds it after the
night's exports (`orchestration/automation.py`); the job is for a first build and by hand.
"""

import dagster as dg

from orchestration.defs.ingestion.assets import export_assets

analytics_job = dg.define_asset_job(
    name="analytics",
    # Everything Dagster can materialize except the partitioned exports, which load in their
    # own backfill first (raw/events is written by the API, so it is not materializable).
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets(*export_assets),
    description=(
        "Everything downstream of the raw exports: dbt models and tests, quality docs, "
        "ML training and scoring, and the serving cache version."
    ),
)
