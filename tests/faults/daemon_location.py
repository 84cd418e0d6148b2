"""The code location the daemon fault serves: the project's dbt domain and a job building it.

The job is the nightly dbt build (every model, seed and test), against the warehouse that
`WEDSYNC_DATABASE_URL` names in the daemon's environment (the dbt resource reads it).
"""

import dagster as dg

from orchestration.defs.dbt import definitions as dbt_domain

DBT_BUILD_JOB = "dbt_build"

defs = dg.Definitions.merge(
    dbt_domain.defs(),
    dg.Definitions(jobs=[dg.define_asset_job(DBT_BUILD_JOB, selection=dg.AssetSelection.all())]),
)
