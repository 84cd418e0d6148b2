"""The live-events checks job: raw/events is written by the API, so no load run checks it."""

import dagster as dg

from orchestration.defs.quality.checks import raw_asset_key

live_event_checks_job = dg.define_asset_job(
    name="live_event_checks",
    selection=dg.AssetSelection.checks_for_assets(raw_asset_key("events")),
    description=(
        "Quality rules on raw.events: duplicate event ids (error, quarantined) and per-supplier "
        "daily volume anomalies (warning naming the suppliers)."
    ),
)
