"""The ingestion domain: export assets, their job, the landing sensor, the landing zone."""

import dagster as dg

from orchestration.defs.ingestion.assets import export_assets
from orchestration.defs.ingestion.jobs import nightly_exports_job
from orchestration.defs.ingestion.resources import landing_zone_resource
from orchestration.defs.ingestion.sensors import export_landed_sensor
from orchestration.resources import warehouse_resource


def defs() -> dg.Definitions:
    """Definitions of the ingestion domain."""
    return dg.Definitions(
        assets=dg.with_source_code_references(export_assets),
        jobs=[nightly_exports_job],
        sensors=[export_landed_sensor],
        resources={"warehouse": warehouse_resource(), "landing_zone": landing_zone_resource()},
    )
