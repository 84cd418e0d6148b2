"""The sensor that evaluates the serving cache version's automation condition."""

import dagster as dg

from orchestration.defs.serving.assets import api_cache_version

# Dagster's default automation sensor starts stopped; this one runs from the first deploy, so
# the cache moves after every rebuild of the served marts without anyone switching it on.
cache_version_automation_sensor = dg.AutomationConditionSensorDefinition(
    "serving_cache_version_automation",
    target=dg.AssetSelection.assets(api_cache_version),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=10,
    description="Bumps serving/api_cache_version after any mart the API serves is rebuilt.",
)
