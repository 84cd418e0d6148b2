"""The retention domain: retention policy and landing-file erasure assets, job, schedule, sensor."""

import dagster as dg

from orchestration.defs.ingestion.resources import landing_zone_resource
from orchestration.defs.retention.assets import (
    landing_erasures,
    landing_exports_retention,
    raw_events_retention,
)
from orchestration.defs.retention.jobs import landing_erasures_job, retention_job
from orchestration.defs.retention.resources import retention_policy_resource
from orchestration.defs.retention.schedules import retention_schedule
from orchestration.defs.retention.sensors import erased_couples_sensor
from orchestration.resources import warehouse_resource


def defs() -> dg.Definitions:
    """Definitions of the retention domain."""
    return dg.Definitions(
        assets=dg.with_source_code_references(
            [raw_events_retention, landing_exports_retention, landing_erasures]
        ),
        jobs=[retention_job, landing_erasures_job],
        schedules=[retention_schedule],
        sensors=[erased_couples_sensor],
        resources={
            "warehouse": warehouse_resource(),
            "landing_zone": landing_zone_resource(),
            "retention": retention_policy_resource(),
        },
    )
