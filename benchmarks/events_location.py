"""The code location `benchmarks/events_runs.py` runs `dagster-daemon` on: the live-events slice.

Everything that can launch a run when live events arrive in the deployment: the events sensor
and its job, and the automation sensor with the API cache version's condition (which moves
after any served mart), over the real dbt models. The nightly export sensor is left out (no
exports land during the benchmark); resources come from `WEDSYNC_DATABASE_URL`.
"""

import dagster as dg

from orchestration.automation import automation_sensor
from orchestration.defs.dbt.assets import wedsync_dbt_models
from orchestration.defs.dbt.resources import dbt_resource
from orchestration.defs.events.assets import raw_events
from orchestration.defs.events.sensors import event_models_job, new_events_sensor
from orchestration.defs.serving.assets import api_cache_version
from orchestration.resources import warehouse_resource

defs = dg.Definitions(
    assets=[raw_events, wedsync_dbt_models, api_cache_version],
    jobs=[event_models_job],
    sensors=[new_events_sensor, automation_sensor],
    resources={"warehouse": warehouse_resource(), "dbt": dbt_resource()},
)
