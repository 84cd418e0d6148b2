"""Load each nightly export once the platform has written it."""

import dagster as dg

from orchestration.defs.ingestion.jobs import nightly_exports_job

nightly_exports_schedule = dg.build_schedule_from_partitioned_job(
    nightly_exports_job, hour_of_day=1, minute_of_hour=0
)
