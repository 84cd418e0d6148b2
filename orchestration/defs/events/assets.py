"""`raw/events`: live events committed by `POST /api/events`, as Dagster sees them.

The API, not Dagster, writes this table, so it is an external asset: the events sensor records
a materialization whenever new events have landed, which keeps lineage and freshness visible.
"""

import dagster as dg

RAW_EVENTS_KEY = dg.AssetKey(["raw", "events"])

# The dbt models rebuilt incrementally from raw.events when new events land, and the API's
# cache version, moved in the same run so the new numbers are served the moment they exist.
EVENT_MODEL_KEYS = (
    dg.AssetKey(["marts", "supplier_daily_activity"]),
    dg.AssetKey(["marts", "lead_funnel"]),
    dg.AssetKey(["serving", "api_cache_version"]),
)

raw_events = dg.AssetSpec(
    key=RAW_EVENTS_KEY,
    group_name="ingestion",
    description=(
        "Live platform events (views, enquiries, quotes, bookings, payments, reviews, RSVPs), "
        "committed by the serving API before it answers 202; deduplicated on event_id and "
        "partitioned by month in Postgres."
    ),
    kinds={"postgres"},
    owners=["team:data-engineering"],
)
