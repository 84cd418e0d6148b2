"""How fresh each class of asset must be: a policy on the asset, a check that says when it is not.

Three classes, as a data engineer reads them in the UI:
- the nightly exports: yesterday's night loaded by 06:00 UK time (a skipped night fails);
- the nightly marts, features and predictions: rebuilt within 26 h (room for a late export);
- the live-event marts and the API's cache version: no event waits more than two minutes for
  their rebuild (the 60 s target for an event to reach the API, with a sensor tick and a run's
  time on top; `orchestration.live_freshness`: a quiet platform is fresh).
The checks run from sensors, on by default; a failed freshness check is a WARN that the
asset-check view and the alert table show, never a block on the build.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from orchestration.automation import WEDDING_TIMEZONE
from orchestration.defs.dbt.assets import wedsync_dbt_models
from orchestration.defs.ingestion.assets import export_assets
from orchestration.defs.ml.assets import BOOKING_PREDICTIONS
from orchestration.defs.serving.assets import SERVED_MART_KEYS
from orchestration.live_freshness import LIVE_KEYS, live_events_reflected

#: By this time (UK) the previous night's export must be loaded.
EXPORTS_DUE = "0 6 * * *"
NIGHTLY_WINDOW = dt.timedelta(hours=26)

NIGHTLY_LAYERS = ("marts", "features", "predictions")
NIGHTLY_KEYS = sorted(
    {
        key
        for key in (*wedsync_dbt_models.keys, *SERVED_MART_KEYS, BOOKING_PREDICTIONS)
        if key.path[0] in NIGHTLY_LAYERS and key not in LIVE_KEYS
    },
    key=lambda key: key.to_user_string(),
)

export_freshness_checks = dg.build_time_partition_freshness_checks(
    assets=export_assets, deadline_cron=EXPORTS_DUE, timezone=WEDDING_TIMEZONE
)
nightly_freshness_checks = dg.build_last_update_freshness_checks(
    assets=NIGHTLY_KEYS, lower_bound_delta=NIGHTLY_WINDOW
)
freshness_checks = [*export_freshness_checks, *nightly_freshness_checks, live_events_reflected]

freshness_checks_sensor = dg.build_sensor_for_freshness_checks(
    freshness_checks=[*export_freshness_checks, *nightly_freshness_checks],
    minimum_interval_seconds=60,
    name="freshness_checks",
    default_status=dg.DefaultSensorStatus.RUNNING,
)


def with_freshness_policy(spec: dg.AssetSpec) -> dg.AssetSpec:
    """`spec` with the nightly freshness policy when it is nightly. The live assets get none:
    a time window since their last rebuild is what `live_events_reflected` replaced (a quiet
    platform is fresh, not degraded)."""
    if spec.key.path[0] in NIGHTLY_LAYERS and spec.key not in LIVE_KEYS:
        return spec.replace_attributes(
            freshness_policy=dg.FreshnessPolicy.time_window(fail_window=NIGHTLY_WINDOW)
        )
    return spec
