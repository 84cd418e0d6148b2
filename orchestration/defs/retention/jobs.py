"""Jobs of the retention domain: the daily policy run, and the landing-file erasure run."""

import dagster as dg

from orchestration.defs.retention.assets import (
    LANDING_ERASURES_KEY,
    LANDING_RETENTION_KEY,
    RAW_EVENTS_RETENTION_KEY,
)

retention_job = dg.define_asset_job(
    name="retention",
    selection=dg.AssetSelection.assets(
        RAW_EVENTS_RETENTION_KEY, LANDING_RETENTION_KEY, LANDING_ERASURES_KEY
    ),
    description=(
        "Drop live events and landing export files older than the retention policy, and "
        "finish any landing-file erasure the sensor's run left undone."
    ),
)

landing_erasures_job = dg.define_asset_job(
    name="landing_erasures",
    selection=dg.AssetSelection.assets(LANDING_ERASURES_KEY),
    description="Rewrite the landing export files without the couples erased through the API.",
)
