"""Definitions of the serving domain."""

import dagster as dg

from orchestration.defs.serving.assets import api_cache_version
from orchestration.defs.serving.sensors import cache_version_automation_sensor
from orchestration.resources import warehouse_resource


def defs() -> dg.Definitions:
    """The serving cache-version asset, the sensor that moves it, and the warehouse it writes."""
    return dg.Definitions(
        assets=[api_cache_version],
        sensors=[cache_version_automation_sensor],
        resources={"warehouse": warehouse_resource()},
    )
