"""Jobs and schedules that span domains: the nightly analytics build after the exports load."""

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

nightly_analytics_schedule = dg.ScheduleDefinition(
    job=analytics_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/London",
    description="Rebuild marts, models and predictions after the 01:00 export load.",
)
