"""The WedSync Analytics code location: every domain's definitions, merged.

`workspace.yaml` loads this module; each domain under `orchestration/defs/` owns its assets,
checks, resources, schedules and sensors and returns them from its own `definitions.py`.
Domains bind shared resources through cached factories, so the merge sees one object per key.
Every asset without a condition of its own builds nightly after its dependencies
(`orchestration/automation.py`), and the one automation sensor evaluates them all.
"""

import dagster as dg

from orchestration.alerts import alerts_resource, pipeline_alert_sensor
from orchestration.automation import NOT_NIGHTLY_DEPS, automation_sensor, with_nightly_default
from orchestration.defs.backup import definitions as backup_domain
from orchestration.defs.dbt import definitions as dbt_domain
from orchestration.defs.events import definitions as events_domain
from orchestration.defs.ingestion import definitions as ingestion_domain
from orchestration.defs.ingestion.assets import export_assets
from orchestration.defs.ml import definitions as ml_domain
from orchestration.defs.quality import definitions as quality_domain
from orchestration.defs.retention import definitions as retention_domain
from orchestration.defs.serving import definitions as serving_domain
from orchestration.executor import default_executor
from orchestration.freshness import freshness_checks, freshness_checks_sensor, with_freshness_policy
from orchestration.jobs import analytics_job
from orchestration.live_freshness import live_lag_sensor

defs = (
    dg.Definitions.merge(
        ingestion_domain.defs(),
        events_domain.defs(),
        quality_domain.defs(),
        dbt_domain.defs(),
        ml_domain.defs(),
        serving_domain.defs(),
        retention_domain.defs(),
        backup_domain.defs(),
        dg.Definitions(
            jobs=[analytics_job],
            asset_checks=freshness_checks,
            sensors=[
                automation_sensor,
                freshness_checks_sensor,
                live_lag_sensor,
                pipeline_alert_sensor,
            ],
            resources={"alerts": alerts_resource()},
            # Dagster's default, or Celery workers when the deployment says so.
            executor=default_executor(),
        ),
    )
    .map_resolved_asset_specs(
        func=with_nightly_default,
        # The exports load when they land (the landing sensor); the API writes raw/events and
        # the checks the quarantine, so neither is Dagster's to materialize.
        selection=dg.AssetSelection.all()
        - dg.AssetSelection.assets(*export_assets)
        - NOT_NIGHTLY_DEPS
        # Retention runs on its own schedule and sensor, not behind the nightly marts.
        - dg.AssetSelection.groups("retention"),
    )
    .map_resolved_asset_specs(func=with_freshness_policy)
)
