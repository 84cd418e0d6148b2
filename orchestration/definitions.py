"""The WedSync Analytics code location: every domain's definitions, merged.

`workspace.yaml` loads this module; each domain under `orchestration/defs/` owns its assets,
checks, resources, schedules and sensors and returns them from its own `definitions.py`.
"""

import dagster as dg

from orchestration.defs.ingestion import definitions as ingestion_domain
from orchestration.jobs import analytics_job, nightly_analytics_schedule

defs = dg.Definitions.merge(
    ingestion_domain.defs(),
    dg.Definitions(jobs=[analytics_job], schedules=[nightly_analytics_schedule]),
)
