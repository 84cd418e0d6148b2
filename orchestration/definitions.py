"""The WedSync Analytics code location: every domain's definitions, merged.

`workspace.yaml` loads this module; each domain under `orchestration/defs/` owns its assets,
checks, resources, schedules and sensors and returns them from its own `definitions.py`.
Domains bind shared resources through cached factories, so the merge sees one object per key.
"""

import dagster as dg

from orchestration.defs.dbt import definitions as dbt_domain
from orchestration.defs.events import definitions as events_domain
from orchestration.defs.ingestion import definitions as ingestion_domain
from orchestration.defs.ml import definitions as ml_domain
from orchestration.defs.quality import definitions as quality_domain
from orchestration.defs.serving import definitions as serving_domain
from orchestration.jobs import analytics_job, nightly_analytics_schedule

defs = dg.Definitions.merge(
    ingestion_domain.defs(),
    events_domain.defs(),
    quality_domain.defs(),
    dbt_domain.defs(),
    ml_domain.defs(),
    serving_domain.defs(),
    dg.Definitions(jobs=[analytics_job], schedules=[nightly_analytics_schedule]),
)
