"""The code location `test_daemon_nights` runs `dagster-daemon` on: the nightly slice of the
platform, with the deployment's real assets, checks, job and sensors.

It is the part of `orchestration.definitions` a night touches (exports, their GX checks, the
dbt models behind the marts, the landing, automation and alert sensors), without the ML,
events, retention and backup domains, whose sensors and schedules would add runs of their
own. The resources come from the environment the test gives the daemon, exactly as the
deployment's do (`WEDSYNC_DATABASE_URL`, `WEDSYNC_LANDING_DIR`); Data Docs go to the
throwaway `DAGSTER_HOME`, not the checkout's `.local/`.
"""

import dagster as dg

from orchestration.alerts import alerts_resource, pipeline_alert_sensor
from orchestration.automation import automation_sensor
from orchestration.defs.dbt.assets import wedsync_dbt_models
from orchestration.defs.dbt.resources import dbt_resource
from orchestration.defs.ingestion.assets import export_assets
from orchestration.defs.ingestion.jobs import nightly_exports_job
from orchestration.defs.ingestion.resources import landing_zone_resource
from orchestration.defs.ingestion.sensors import export_landed_sensor
from orchestration.defs.quality.checks import rule_checks
from orchestration.defs.quality.resources import GreatExpectationsResource
from orchestration.resources import warehouse_resource
from wedsync.settings import get_settings

defs = dg.Definitions(
    assets=[*export_assets, wedsync_dbt_models],
    asset_checks=rule_checks,
    jobs=[nightly_exports_job],
    sensors=[export_landed_sensor, automation_sensor, pipeline_alert_sensor],
    resources={
        "warehouse": warehouse_resource(),
        "landing_zone": landing_zone_resource(),
        "great_expectations": GreatExpectationsResource(
            warehouse=warehouse_resource(),
            data_docs_dir=str(get_settings().dagster_home / "data_docs"),
        ),
        "dbt": dbt_resource(),
        "alerts": alerts_resource(),
    },
)
